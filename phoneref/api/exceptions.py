"""One place that turns every API error into an RFC 9457 problem response."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from phoneref.core.errors import Problem, ServiceError, problems
from phoneref.core.problem_details import PROBLEM_CONTENT_TYPE, problem_body, problem_json

logger = logging.getLogger(__name__)

_DRF_PROBLEMS: list[tuple[type[exceptions.APIException], Problem]] = [
    (exceptions.ParseError, problems.MALFORMED_REQUEST),
    (exceptions.NotAuthenticated, problems.NOT_AUTHENTICATED),
    (exceptions.AuthenticationFailed, problems.INVALID_TOKEN),
    (exceptions.PermissionDenied, problems.PERMISSION_DENIED),
    (exceptions.NotFound, problems.NOT_FOUND),
    (exceptions.MethodNotAllowed, problems.METHOD_NOT_ALLOWED),
    (exceptions.NotAcceptable, problems.NOT_ACCEPTABLE),
    (exceptions.UnsupportedMediaType, problems.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.Throttled, problems.TOO_MANY_REQUESTS),
]


def problem_response(
    problem: Problem,
    *,
    retry_after: int | None = None,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> Response:
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(
        problem_body(problem, **body),
        status=problem.status,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _service_error_details(error: ServiceError) -> dict[str, Any]:
    errors = {error.field: [error.message]} if error.field else None
    return {"detail": error.message, "errors": errors, **error.extra}


def service_error_problem(error: ServiceError) -> HttpResponse:
    """The problem the exception handler answers `error` with, made without DRF: for a refusal
    that comes once the view has returned (phoneref.server.deferral)."""
    response = HttpResponse(
        problem_json(error.problem, **_service_error_details(error)),
        status=error.problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail -> {"field": ["message", ...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for name, value in detail.items():
            messages = value if isinstance(value, list) else [value]
            flat[str(name)] = [str(m) for m in messages if not isinstance(m, dict | list)] or [
                str(problems.INVALID_INPUT.title)
            ]
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(m) for m in messages]}


def _validation_problem(exc: exceptions.ValidationError) -> Response:
    errors = _flatten(exc.detail)
    # A field error whose code is one of ours (e.g. invalid_phone) names the problem.
    codes = exc.get_codes()
    field_codes = codes.values() if isinstance(codes, dict) else [codes]
    known = {p.code: p for p in vars(problems).values() if isinstance(p, Problem)}
    problem = problems.INVALID_INPUT
    for value in field_codes:
        for code in value if isinstance(value, list) else [value]:
            if isinstance(code, str) and code in known:
                problem = known[code]
                break
    first_message = next(iter(errors.values()))[0]
    return problem_response(problem, detail=first_message, errors=errors)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    set_rollback()
    if isinstance(exc, ServiceError):
        return problem_response(
            exc.problem, retry_after=exc.retry_after, **_service_error_details(exc)
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return _validation_problem(exc)
    if isinstance(exc, exceptions.APIException):
        problem = next((p for cls, p in _DRF_PROBLEMS if isinstance(exc, cls)), None)
        headers: dict[str, str] = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        if problem is None:
            problem = Problem(exc.default_code, exc.status_code, str(exc.default_detail))
        wait = getattr(exc, "wait", None)
        return problem_response(
            problem,
            retry_after=int(wait) + 1 if wait else None,
            headers=headers,
        )
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        return problem_response(problems.SERVICE_UNAVAILABLE, retry_after=5)
    return None
