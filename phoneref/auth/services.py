"""Use cases of logging in: send a code, check it, issue and revoke tokens."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from phoneref.auth.codes import (
    login_code_digest,
    login_code_format_message,
    login_code_generate,
    login_code_matches,
    login_code_pattern,
)
from phoneref.auth.models import ClientAddress, PhoneLogin
from phoneref.auth.sms import get_sms_backend
from phoneref.core.db import call_and_release_connection
from phoneref.core.errors import ServiceError, problems
from phoneref.core.phones import phone_to_e164
from phoneref.core.rate_limits import Window, events_within, log_append, seconds_until_allowed
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate, user_get_or_create

DAY = 24 * 3600


@dataclass(frozen=True)
class CodeRequest:
    phone: str
    code: str
    expires_in: int
    resend_in: int


@dataclass(frozen=True)
class Login:
    user: User
    is_new_user: bool
    # A bad invite code does not block the login; its error is reported beside it.
    invite_error: ServiceError | None = None


def _send_windows() -> list[Window]:
    return [
        Window(1, settings.OTP_RESEND_COOLDOWN_SECONDS),
        Window(settings.OTP_SENDS_PER_HOUR, 3600),
        Window(settings.OTP_SENDS_PER_DAY, DAY),
    ]


def _failure_windows() -> list[Window]:
    return [Window(settings.OTP_FAILURES_PER_DAY, DAY)]


def _ip_windows() -> list[Window]:
    return [Window(settings.OTP_IP_SENDS_PER_HOUR, 3600)]


def login_code_request(*, phone: str, client_ip: str, now: datetime | None = None) -> CodeRequest:
    """Make a new code for `phone`, replacing any earlier one, within the send limits.

    Never looks at users, so the answer is the same for a number with or without an account.
    """
    phone = phone_to_e164(phone)
    now = now or timezone.now()
    ts = now.timestamp()
    with transaction.atomic():
        PhoneLogin.objects.bulk_create([PhoneLogin(phone=phone)], ignore_conflicts=True)
        login = PhoneLogin.objects.select_for_update().get(phone=phone)
        wait = seconds_until_allowed(login.send_log, now=ts, windows=_send_windows())
        if wait is not None:
            raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=wait)
        if settings.OTP_IP_SENDS_PER_HOUR > 0:
            _client_address_record(ip=client_ip, now=ts)
        code = login_code_generate()
        login.code_digest = login_code_digest(phone=phone, code=code)
        login.code_sent_at = now
        login.code_expires_at = now + timedelta(seconds=settings.OTP_TTL_SECONDS)
        login.code_failed_attempts = 0
        login.code_used_at = None
        login.send_log = log_append(login.send_log, now=ts, windows=_send_windows())
        login.save()
    resend_in = seconds_until_allowed(login.send_log, now=ts, windows=_send_windows()) or 0
    return CodeRequest(
        phone=phone, code=code, expires_in=settings.OTP_TTL_SECONDS, resend_in=resend_in
    )


def _client_address_record(*, ip: str, now: float) -> None:
    ClientAddress.objects.bulk_create([ClientAddress(ip=ip)], ignore_conflicts=True)
    address = ClientAddress.objects.select_for_update().get(ip=ip)
    wait = seconds_until_allowed(address.send_log, now=now, windows=_ip_windows())
    if wait is not None:
        raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=wait)
    address.send_log = log_append(address.send_log, now=now, windows=_ip_windows())
    address.save(update_fields=["send_log"])


async def login_code_deliver(request: CodeRequest) -> None:
    """Hand the code to the SMS backend; the gateway wait is an await: it holds no thread."""
    await get_sms_backend().send_login_code(phone=request.phone, code=request.code)


async def login_code_send(*, phone: str, client_ip: str) -> CodeRequest:
    """Request a code and deliver it, from async code (the web pages)."""
    request = await call_and_release_connection(
        login_code_request, phone=phone, client_ip=client_ip
    )
    await login_code_deliver(request)
    return request


def login_code_verify(
    *, phone: str, code: str, invite_code: str | None = None, now: datetime | None = None
) -> Login:
    """Log in with the code sent to `phone`; the first login creates the user.

    A code works once; each wrong try is counted against the code and against the phone.
    """
    phone = phone_to_e164(phone)
    if not isinstance(code, str) or not login_code_pattern().fullmatch(code):
        raise ServiceError(
            problems.INVALID_INPUT,
            field="code",
            detail=login_code_format_message(),
        )
    now = now or timezone.now()
    ts = now.timestamp()
    with transaction.atomic():
        login = PhoneLogin.objects.select_for_update().filter(phone=phone).first()
        if login is None or not login.code_digest:
            raise ServiceError(problems.CODE_EXPIRED, field="code")
        wait = seconds_until_allowed(login.failure_log, now=ts, windows=_failure_windows())
        if wait is not None:
            raise ServiceError(problems.TOO_MANY_ATTEMPTS, retry_after=wait)
        if login.code_expires_at <= now:
            raise ServiceError(problems.CODE_EXPIRED, field="code")
        if login.code_failed_attempts >= settings.OTP_MAX_ATTEMPTS:
            wait = seconds_until_allowed(login.send_log, now=ts, windows=_send_windows())
            raise ServiceError(problems.TOO_MANY_ATTEMPTS, retry_after=wait or 1)
        if login_code_matches(phone=phone, code=code, digest=login.code_digest):
            login.code_digest = ""
            login.code_used_at = now
            login.save(update_fields=["code_digest", "code_used_at"])
            user, is_new_user = user_get_or_create(phone=phone)
            wrong_code = None
        else:
            login.code_failed_attempts += 1
            login.failure_log = log_append(login.failure_log, now=ts, windows=_failure_windows())
            login.save(update_fields=["code_failed_attempts", "failure_log"])
            # Whichever runs out first: this code's tries or the phone's daily failures (when
            # that limit is on; 0 switches it off).
            attempts_left = settings.OTP_MAX_ATTEMPTS - login.code_failed_attempts
            if settings.OTP_FAILURES_PER_DAY > 0:
                daily_failures = len(events_within(login.failure_log, now=ts, seconds=DAY))
                attempts_left = min(attempts_left, settings.OTP_FAILURES_PER_DAY - daily_failures)
            wrong_code = ServiceError(
                problems.INVALID_CODE, field="code", extra={"attempts_left": attempts_left}
            )
    if wrong_code is not None:
        # Raised after the block so the counted failure is committed.
        raise wrong_code
    invite_error = None
    if invite_code:
        try:
            invite_code_activate(user=user, invite_code=invite_code, now=now)
        except ServiceError as exc:
            invite_error = exc
    return Login(user=user, is_new_user=is_new_user, invite_error=invite_error)


def token_issue(*, user: User) -> tuple[str, datetime]:
    """A new bearer token (256 random bits; only its SHA-512 digest is stored)."""
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def token_revoke(*, token: AuthToken) -> None:
    token.delete()


def tokens_revoke_all(*, user: User) -> None:
    AuthToken.objects.filter(user=user).delete()
