"""Every failure a client can cause, with its stable code, HTTP status and message.

Services raise `ServiceError(problems.X)`; the API turns it into an RFC 9457 problem
response and the web views into a form error, so the code and wording live only here.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Problem:
    code: str
    status: int
    # Ours are translated lazily; a DRF exception we have no problem for brings its own.
    title: str | Promise


class problems:
    INVALID_INPUT = Problem("invalid_input", 400, _("The request has invalid fields."))
    MALFORMED_REQUEST = Problem("malformed_request", 400, _("The request body is not valid JSON."))
    INVALID_PHONE = Problem("invalid_phone", 400, _("Enter a valid phone number."))
    # One answer for a wrong code, an expired or spent one and none at all: which of them it
    # was would tell a guesser whether the number is logging in right now.
    INVALID_CODE = Problem(
        "invalid_code",
        400,
        _("The code is wrong or has expired. Check it, or request a new one."),
    )
    TOO_MANY_ATTEMPTS = Problem(
        "too_many_attempts", 429, _("Too many wrong codes from your network. Try again later.")
    )
    TOO_MANY_REQUESTS = Problem("too_many_requests", 429, _("Too many requests. Try again later."))
    PHONE_NOT_MOBILE = Problem(
        "phone_not_mobile", 400, _("Codes are sent only to mobile numbers. Enter a mobile number.")
    )
    COUNTRY_NOT_ALLOWED = Problem(
        "country_not_allowed", 403, _("Codes are not sent to numbers of this country.")
    )
    CAPTCHA_REQUIRED = Problem("captcha_required", 400, _("Complete the check that you are human."))
    CAPTCHA_FAILED = Problem(
        "captcha_failed", 400, _("The check that you are human failed. Try it again.")
    )
    INVITE_CODE_NOT_FOUND = Problem(
        "invite_code_not_found", 400, _("There is no user with this invite code.")
    )
    INVITE_CODE_IS_OWN = Problem(
        "invite_code_is_own", 400, _("This is your own invite code; enter someone else's.")
    )
    INVALID_INVITE_CODE = Problem(
        "invalid_invite_code",
        400,
        _("An invite code is 6 letters and digits, never 0, O, 1, I or L."),
    )
    INVITE_CODE_ALREADY_ACTIVATED = Problem(
        "invite_code_already_activated", 409, _("You have already activated an invite code.")
    )
    REFERRAL_CYCLE = Problem(
        "referral_cycle", 409, _("This user was invited by you, directly or through others.")
    )
    NOT_AUTHENTICATED = Problem(
        "not_authenticated", 401, _("Authentication credentials were not provided.")
    )
    INVALID_TOKEN = Problem("invalid_token", 401, _("The token is invalid or has expired."))
    PERMISSION_DENIED = Problem("permission_denied", 403, _("You may not do this."))
    ACCOUNT_DISABLED = Problem("account_disabled", 403, _("This account has been disabled."))
    NOT_FOUND = Problem("not_found", 404, _("Nothing is here."))
    METHOD_NOT_ALLOWED = Problem("method_not_allowed", 405, _("This method is not allowed here."))
    NOT_ACCEPTABLE = Problem("not_acceptable", 406, _("Cannot answer in the requested format."))
    REQUEST_TIMEOUT = Problem("request_timeout", 408, _("The request did not arrive in time."))
    PAYLOAD_TOO_LARGE = Problem("payload_too_large", 413, _("The request body is too large."))
    UNSUPPORTED_MEDIA_TYPE = Problem(
        "unsupported_media_type", 415, _("Send the body as application/json.")
    )
    REQUEST_HEADER_TOO_LARGE = Problem(
        "request_header_too_large", 431, _("The request line and headers are too large.")
    )
    SERVICE_UNAVAILABLE = Problem(
        "service_unavailable", 503, _("The service is temporarily unavailable. Try again shortly.")
    )
    SMS_UNAVAILABLE = Problem(
        "sms_unavailable",
        503,
        _("The SMS could not be sent now. Try again later; a code you got earlier still works."),
    )
    SERVER_ERROR = Problem("server_error", 500, _("Something went wrong on our side."))


class ServiceError(Exception):
    """A broken business rule. `field` names the input it concerns, if one does."""

    def __init__(
        self,
        problem: Problem,
        *,
        field: str | None = None,
        detail: str | Promise | None = None,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(problem.code)
        self.problem = problem
        self.field = field
        self.detail = detail
        self.retry_after = retry_after
        self.extra = extra or {}

    @property
    def code(self) -> str:
        return self.problem.code

    @property
    def message(self) -> str:
        return str(self.detail or self.problem.title)
