"""The RFC 9457 body of a problem, one shape for every answer that carries one.

DRF's exception handler (phoneref.api.exceptions) writes it for the API; the server's own
refusals, the error pages and the provider callbacks, answered outside DRF, write it here too.
"""

from typing import Any

from rest_framework.renderers import JSONRenderer

from phoneref.core.errors import Problem

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(
    problem: Problem,
    *,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:phoneref:problem:{problem.code}",
        "title": str(problem.title),
        "status": problem.status,
        "detail": detail or str(problem.title),
        "code": problem.code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_json(problem: Problem, **body: Any) -> bytes:
    """A problem body for responses made outside DRF, written as its renderer writes the rest."""
    return JSONRenderer().render(problem_body(problem, **body))
