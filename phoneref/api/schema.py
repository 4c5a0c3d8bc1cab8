"""The OpenAPI parts every API operation shares: its problem-details responses.

A view lists the problems its services raise: `responses={200: Out, **problem_responses(
problems.INVALID_PHONE)}`. `ApiAutoSchema` adds those any operation of its kind can meet (a body
that is not JSON or too large, a missing token, an Accept without JSON, a request head too
slow or too large, the database being away) and documents one response per status, with an
example of each code made by the exception handler itself from `phoneref.core.errors.problems`,
so codes and wording are never copied by hand.
"""

from collections import defaultdict
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_examples_list, build_media_type_object
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from phoneref.api.exceptions import problem_exception_handler
from phoneref.core.errors import Problem, ServiceError, problems
from phoneref.core.problem_details import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`urn:phoneref:problem:<code>`.")
    title = serializers.CharField(help_text="What kind of problem this is, translated.")
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    detail = serializers.CharField(help_text="What went wrong with this request, translated.")
    code = serializers.CharField(
        help_text="Stable and machine-readable: branch on this, never on the wording."
    )
    # DRF's metaclass takes declared fields off the class, so this does not hide
    # Serializer.errors at run time; the stubs see a class attribute that does.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For input errors: the messages for each field.",
    )
    attempts_left = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=(
            "`invalid_code` only: wrong codes this client may still send for this number today."
        ),
    )


class ProblemResponse(OpenApiResponse):
    """A documented error response that remembers which problems it covers, to be merged."""

    def __init__(self, raised: tuple[Problem, ...]) -> None:
        super().__init__(response=ProblemSerializer)
        self.raised = raised


def problem_responses(*raised: Problem) -> dict[tuple[int, str], ProblemResponse]:
    """The `responses` entries for problems a view's services raise, for `@extend_schema`.

    Each status gets a placeholder that carries the whole list; `ApiAutoSchema` replaces them.
    """
    placeholder = ProblemResponse(raised)
    return {(problem.status, PROBLEM_CONTENT_TYPE): placeholder for problem in raised}


# The input each problem concerns, so its example shows `errors` as a real response does.
_EXAMPLE_FIELD = {
    problems.INVALID_PHONE: "phone",
    problems.PHONE_NOT_MOBILE: "phone",
    problems.CAPTCHA_REQUIRED: "captcha_token",
    problems.CAPTCHA_FAILED: "captcha_token",
    problems.INVALID_CODE: "code",
    problems.INVALID_INVITE_CODE: "invite_code",
    problems.INVITE_CODE_NOT_FOUND: "invite_code",
    problems.INVITE_CODE_IS_OWN: "invite_code",
    problems.INVITE_CODE_ALREADY_ACTIVATED: "invite_code",
    problems.REFERRAL_CYCLE: "invite_code",
}
_EXAMPLE_EXTRA: dict[Problem, dict[str, Any]] = {problems.INVALID_CODE: {"attempts_left": 4}}

# Headers that always come with these statuses.
_RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 1},
    "required": True,
    "description": "Seconds to wait before trying again.",
}
_WWW_AUTHENTICATE = {
    "schema": {"type": "string"},
    "required": True,
    "description": '`Bearer realm="api"`: send `Authorization: Bearer <token>`.',
}
_RESPONSE_HEADERS = {
    401: {"WWW-Authenticate": _WWW_AUTHENTICATE},
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus every problem-details response an operation can give."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # A dict by status for `@extend_schema(responses={...})`, which drf-spectacular's
        # annotation (one serializer or none) leaves out.
        declared: object = self.get_response_serializers()
        placeholders = [
            response
            for response in (declared.values() if isinstance(declared, dict) else [])
            if isinstance(response, ProblemResponse)
        ]
        raised = [problem for response in placeholders[:1] for problem in response.raised]
        responses = {**operation["responses"], **self._problem_responses(raised)}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _has_json_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None

    def _requires_token(self) -> bool:
        security = self.get_auth()
        return bool(security) and {} not in security

    def _protocol_problems(self) -> list[Problem]:
        """What any operation like this one can answer, whatever its service does."""
        found = []
        if self._has_json_body():
            found += [
                problems.INVALID_INPUT,
                problems.MALFORMED_REQUEST,
                problems.UNSUPPORTED_MEDIA_TYPE,
            ]
        if self._requires_token():
            found += [problems.NOT_AUTHENTICATED, problems.INVALID_TOKEN]
        # Any request: an Accept without JSON; a head too slow or too large, a body too large
        # (the server's own answers, before the view, whatever the method); the database
        # being away.
        found += [
            problems.NOT_ACCEPTABLE,
            problems.REQUEST_TIMEOUT,
            problems.PAYLOAD_TOO_LARGE,
            problems.REQUEST_HEADER_TOO_LARGE,
            problems.SERVICE_UNAVAILABLE,
        ]
        return found

    def _problem_responses(self, raised: list[Problem]) -> dict[str, Any]:
        by_status: dict[int, list[Problem]] = defaultdict(list)
        for problem in [*raised, *self._protocol_problems()]:
            if problem not in by_status[problem.status]:
                by_status[problem.status].append(problem)
        schema = self.resolve_serializer(ProblemSerializer, "response").ref
        responses: dict[str, Any] = {}
        for status, group in by_status.items():
            examples = [OpenApiExample(p.code, value=self._example_body(p)) for p in group]
            responses[str(status)] = {
                "description": "\n".join(f"- `{p.code}`: {p.title}" for p in group),
                **({"headers": _RESPONSE_HEADERS[status]} if status in _RESPONSE_HEADERS else {}),
                "content": {
                    PROBLEM_CONTENT_TYPE: build_media_type_object(
                        schema, build_examples_list(examples)
                    )
                },
            }
        return responses

    def _example_body(self, problem: Problem) -> dict[str, Any]:
        """What the exception handler really answers, so an example cannot drift from it."""
        if problem == problems.INVALID_INPUT:
            error: Exception = ValidationError(self._invalid_input_errors())
        else:
            error = ServiceError(
                problem, field=_EXAMPLE_FIELD.get(problem), extra=_EXAMPLE_EXTRA.get(problem)
            )
        response = problem_exception_handler(error, {})
        if response is None:
            raise TypeError(f"the exception handler does not answer {problem.code}")
        return response.data

    def _invalid_input_errors(self) -> dict[str, Any]:
        """This operation's own messages for an empty body, or for 0 in every query field."""
        body = self.get_request_serializer() if self._has_json_body() else None
        data: dict[str, str]
        # Our views declare their body and query serializers as classes.
        if isinstance(body, type):
            serializer, data = body, {}
        else:
            serializer = next(p for p in self.get_override_parameters() if isinstance(p, type))
            data = dict.fromkeys(serializer().fields, "0")
        checked = serializer(data=data)
        checked.is_valid()
        return checked.errors
