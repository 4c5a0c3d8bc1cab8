import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from phoneref.core import metrics
from phoneref.core.errors import Problem, problems
from phoneref.core.problem_details import PROBLEM_CONTENT_TYPE, problem_json


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; says nothing of the database."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers; 503 when it does not, so a balancer stops sending traffic."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics of all server processes, for a scraper that sends METRICS_TOKEN as a
    bearer token; not found while no token is set."""
    if not settings.METRICS_TOKEN:
        raise Http404
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(token, settings.METRICS_TOKEN):
        response = HttpResponse("metrics need the bearer token\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def _error(request: HttpRequest, problem: Problem) -> HttpResponse:
    if request.path.startswith("/api/"):
        return HttpResponse(
            problem_json(problem), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
        )
    return render(request, "error.html", {"problem": problem}, status=problem.status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, problems.NOT_FOUND)


@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Every other path under /api/ (the URLconf's last API route), whatever the method.

    With DEBUG on, Django answers a URL that resolves to nothing with its HTML debug page and
    never asks handler404; resolving here gives API clients the same problem in every profile.
    """
    return _error(request, problems.NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, from any view or middleware (sessions,
    # authentication): a database that is away is the client's cue to retry, not our bug.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = _error(request, problems.SERVICE_UNAVAILABLE)
        response["Retry-After"] = "5"
        return response
    return _error(request, problems.SERVER_ERROR)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, problems.INVALID_INPUT)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, problems.PERMISSION_DENIED)
