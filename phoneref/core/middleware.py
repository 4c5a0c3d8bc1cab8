"""Middleware of our own: the request id, a default content security policy, health probes."""

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import common
from django.urls import reverse

from phoneref.core.logs import REQUEST_ID_HEADER, request_id_from, request_id_var


class _BeforeAndAfter:
    """A middleware as two steps around the view: `before` returns what `after` is given."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        state = self.before(request)
        return self.after(request, self.get_response(request), state)

    def before(self, request: HttpRequest):
        return None

    def after(self, request: HttpRequest, response: HttpResponse, state) -> HttpResponse:
        return response


class RequestIdMiddleware(_BeforeAndAfter):
    """Names each request: X-Request-ID on the response and on every log line written for it.

    The server (phoneref.server.app) has already put a valid id in the header and logs the
    request's line; served any other way, an id is made here.
    """

    def before(self, request: HttpRequest):
        return request_id_var.set(request_id_from(request.headers.get(REQUEST_ID_HEADER, "")))

    def after(self, request: HttpRequest, response: HttpResponse, state) -> HttpResponse:
        response[REQUEST_ID_HEADER] = request_id_var.get()
        request_id_var.reset(state)
        return response


class ContentSecurityPolicyMiddleware(_BeforeAndAfter):
    """CONTENT_SECURITY_POLICY on every response that does not bring its own policy."""

    def after(self, request: HttpRequest, response: HttpResponse, state) -> HttpResponse:
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that /healthz, /readyz and /metrics answer whatever the Host header says.

    A platform probes a container at its internal address (an IP, a generated name) that
    ALLOWED_HOSTS does not list; Django's Host check would answer 400 and have the instance
    taken for dead; a metrics scraper finds each instance at its address too. These answers say
    nothing that depends on the host, so they skip the check; otherwise they run through every
    middleware like any request.
    """

    def process_request(self, request: HttpRequest):
        if request.path_info in _probe_paths():
            return None
        return super().process_request(request)


@cache
def _probe_paths() -> frozenset[str]:
    return frozenset((reverse("healthz"), reverse("readyz"), reverse("metrics")))
