"""Use cases of logging in: send a code, check it, issue and revoke tokens."""

import json
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken

from phoneref.abuse.captcha import CAPTCHA_PASSED, CaptchaPass, captcha_averify
from phoneref.abuse.services import (
    code_login_record,
    code_request_screen,
    code_send_needs_transaction,
    code_send_refund,
    code_send_spend,
    code_verify_screen,
)
from phoneref.auth.codes import (
    login_code_digest,
    login_code_format_message,
    login_code_generate,
    login_code_matches,
    login_code_pattern,
)
from phoneref.auth.models import ClientAddress, PhoneLogin, StaffLoginThrottle
from phoneref.core import metrics
from phoneref.core.db import call_and_release_connection
from phoneref.core.errors import ServiceError, problems
from phoneref.core.http import client_network
from phoneref.core.phones import phone_to_e164
from phoneref.core.rate_limits import (
    Window,
    events_within,
    log_append,
    seconds_until_allowed,
    sql_admits_one_more,
    sql_log_append,
)
from phoneref.sms.backends import SmsMessage
from phoneref.sms.fixed_codes import fixed_code
from phoneref.sms.messages import login_code_text
from phoneref.sms.sending import SmsUnavailable, fixed_code_delivery_record, sms_send
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate, user_get_or_create

DAY = 24 * 3600


@dataclass(frozen=True)
class CodeRequest:
    phone: str
    code: str
    expires_in: int
    resend_in: int
    # What login_code_request_undo() needs to take the request back if no SMS goes out.
    sent_at: datetime
    client_ip: str
    # A test number (OTP_TEST_NUMBERS): its fixed code, stored but never sent.
    fixed_code: bool = False


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


@metrics.counted(metrics.CODE_SEND_REFUSALS, success=metrics.CODE_SENDS)
def login_code_request(
    *,
    phone: str,
    client_ip: str,
    captcha_token: str | CaptchaPass | None = None,
    now: datetime | None = None,
) -> CodeRequest:
    """Make a new code for `phone`, replacing any earlier one, within the send limits.

    Never looks at users, so the answer is the same for a number with or without an account.
    """
    phone = phone_to_e164(phone)
    now = now or timezone.now()
    fixed = fixed_code(phone)
    if not fixed:
        code_request_screen(phone=phone, client_ip=client_ip, captcha_token=captcha_token, now=now)
    ts = now.timestamp()
    code = fixed or login_code_generate()
    new_code = {
        "phone": phone,
        "digest": login_code_digest(phone=phone, code=code),
        "sent_at": connection.ops.adapt_datetimefield_value(now),
        "expires_at": connection.ops.adapt_datetimefield_value(
            now + timedelta(seconds=settings.OTP_TTL_SECONDS)
        ),
        "now": ts,
    }
    if fixed:
        return _fixed_code_store(new_code, client_ip=client_ip, sent_at=now)
    ip_limited = settings.OTP_IP_SENDS_PER_HOUR > 0
    one_statement = _checks_limits_in_one_statement()
    # On PostgreSQL the phone's write is one statement, atomic by itself; the client address's
    # row, when its limit is on, must change with it or not at all.
    # So does the all-sends budget's, when it is on.
    together = ip_limited or code_send_needs_transaction() or not one_statement
    with transaction.atomic() if together else nullcontext():
        if one_statement:
            send_log = _phone_login_new_code(new_code)
        else:
            send_log = _phone_login_new_code_locked(new_code)
        if ip_limited:
            _client_address_record(network=client_network(client_ip), now=now)
        code_send_spend(now=now)
    resend_in = seconds_until_allowed(send_log, now=ts, windows=_send_windows()) or 0
    return CodeRequest(
        phone=phone,
        code=code,
        expires_in=settings.OTP_TTL_SECONDS,
        resend_in=resend_in,
        sent_at=now,
        client_ip=client_ip,
    )


def _fixed_code_store(new_code: dict, *, client_ip: str, sent_at: datetime) -> CodeRequest:
    """A test number's code: stored like any other, but outside every send limit and the
    abuse checks (login_code_request skips them). Its wrong tries count as usual."""
    _execute(PhoneLogin, _PHONE_LOGIN_FIXED_CODE_SQL, new_code)
    return CodeRequest(
        phone=new_code["phone"],
        code=fixed_code(new_code["phone"]),
        expires_in=settings.OTP_TTL_SECONDS,
        resend_in=0,
        sent_at=sent_at,
        client_ip=client_ip,
        fixed_code=True,
    )


# A code request is the busiest write: a crowd of them arrives at once. Its rows are read and
# written in SQL written once here, because the ORM took longer to build its statements than
# the database took to run them.


def _checks_limits_in_one_statement() -> bool:
    # The one-statement form is PostgreSQL SQL (jsonb functions); elsewhere the row is locked
    # and checked in Python. Tests run the limits through both.
    return connection.vendor == "postgresql"


def _phone_login_new_code(new_code: dict) -> list[float]:
    """Store the new code in one statement if the send limits allow it; the new send log.

    Whether or not the phone's row exists yet: ON CONFLICT DO UPDATE locks an existing row and
    its WHERE checks the limits on that locked row, so they stay exact across processes with
    no transaction around the statement; a refused send returns no row and changes nothing.
    A number that has asked before and one that never has cost the same statement.
    """
    ts = new_code["now"]
    sql = _phone_login_new_code_sql(tuple(_send_windows()))
    row = _execute(PhoneLogin, sql, {**new_code, "first_log": json.dumps([ts])})
    if row is None:
        (send_log,) = _execute(PhoneLogin, _PHONE_LOGIN_SEND_LOG_SQL, [new_code["phone"]])
        wait = seconds_until_allowed(json.loads(send_log), now=ts, windows=_send_windows())
        # The statement refused by these same rules, so `wait` is set; 1 s if a send made
        # since has already moved the window.
        raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=wait or 1)
    # jsonb reaches a raw cursor as text on every backend.
    return json.loads(row[0])


@cache
def _phone_login_new_code_sql(windows: tuple[Window, ...]) -> str:
    return _PHONE_LOGIN_NEW_CODE_IF_ALLOWED_SQL.format(
        new_log=sql_log_append("login.send_log", "excluded.send_log", list(windows)),
        allowed=sql_admits_one_more("login.send_log", list(windows)),
        replaced=_REPLACED_CODE_SQL.format(json_object="jsonb_build_object", row="login"),
        table="{table}",
    )


_PHONE_LOGIN_NEW_CODE_IF_ALLOWED_SQL = """
INSERT INTO {table} AS login (
    phone, code_digest, code_sent_at, code_expires_at, code_failed_attempts, code_used_at,
    send_log, failures_by_network, replaced_code
)
VALUES (
    %(phone)s, %(digest)s, %(sent_at)s, %(expires_at)s, 0, NULL, %(first_log)s::jsonb,
    jsonb_build_object(), NULL
)
ON CONFLICT (phone) DO UPDATE SET
    code_digest = excluded.code_digest, code_sent_at = excluded.code_sent_at,
    code_expires_at = excluded.code_expires_at, code_failed_attempts = 0, code_used_at = NULL,
    send_log = {new_log}, replaced_code = {replaced}
WHERE {allowed}
RETURNING send_log
"""
# The code a send replaces, kept on the row until the next send (SET reads the old values).
_REPLACED_CODE_SQL = """{json_object}(
    'digest', {row}.code_digest, 'sent_at', {row}.code_sent_at,
    'expires_at', {row}.code_expires_at, 'failed_attempts', {row}.code_failed_attempts,
    'used_at', {row}.code_used_at)"""
_PHONE_LOGIN_FIXED_CODE_SQL = """
INSERT INTO {table} AS login (
    phone, code_digest, code_sent_at, code_expires_at, code_failed_attempts, code_used_at,
    send_log, failures_by_network
)
VALUES (%(phone)s, %(digest)s, %(sent_at)s, %(expires_at)s, 0, NULL, '[]', '{{}}')
ON CONFLICT (phone) DO UPDATE SET
    code_digest = excluded.code_digest, code_sent_at = excluded.code_sent_at,
    code_expires_at = excluded.code_expires_at, code_failed_attempts = 0, code_used_at = NULL
"""
_PHONE_LOGIN_SEND_LOG_SQL = "SELECT send_log FROM {table} WHERE phone = %s"


def _phone_login_new_code_locked(new_code: dict) -> list[float]:
    """_phone_login_new_code() on other databases (SQLite in development): in the caller's
    transaction, the row created if new and locked, checked, then written."""
    login_id, send_log = _send_admitted_locked(
        PhoneLogin,
        _PHONE_LOGIN_LOCK_SQL,
        [new_code["phone"]],
        now=new_code["now"],
        windows=_send_windows(),
    )
    json_object = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    replaced = _REPLACED_CODE_SQL.format(json_object=json_object, row="{table}")
    _execute(
        PhoneLogin,
        _PHONE_LOGIN_NEW_CODE_SQL.replace("{replaced}", replaced),
        [
            new_code["digest"],
            new_code["sent_at"],
            new_code["expires_at"],
            json.dumps(send_log),
            login_id,
        ],
    )
    return send_log


# ON CONFLICT DO UPDATE takes the row lock SELECT ... FOR UPDATE would.
_PHONE_LOGIN_LOCK_SQL = """
INSERT INTO {table} (phone, code_digest, code_failed_attempts, send_log, failures_by_network)
VALUES (%s, '', 0, '[]', '{{}}')
ON CONFLICT (phone) DO UPDATE SET phone = excluded.phone
RETURNING id, send_log
"""
_PHONE_LOGIN_NEW_CODE_SQL = """
UPDATE {table} SET code_digest = %s, code_sent_at = %s, code_expires_at = %s,
    code_failed_attempts = 0, code_used_at = NULL, send_log = %s, replaced_code = {replaced}
WHERE id = %s
"""
_CLIENT_ADDRESS_LOCK_SQL = """
INSERT INTO {table} (network, send_log, failure_log, updated_at) VALUES (%s, '[]', '[]', %s)
ON CONFLICT (network) DO UPDATE SET network = excluded.network
RETURNING id, send_log
"""
_CLIENT_ADDRESS_SEND_SQL = "UPDATE {table} SET send_log = %s, updated_at = %s WHERE id = %s"


def _execute(model, sql: str, params: list | dict) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(model._meta.db_table)), params)
        return cursor.fetchone() if cursor.description else None


def _send_admitted_locked(
    model, sql: str, params: list, *, now: float, windows: list[Window]
) -> tuple[int, list[float]]:
    """Locks the row of a phone or address (created if new) and admits one more send within
    `windows`: the row's id and its send log with the send added, to be written by the caller
    in the same transaction. Raises too_many_requests when the send does not fit."""
    row_id, stored = _execute(model, sql, params)
    # jsonb reaches a raw cursor as text on every backend.
    send_log = json.loads(stored)
    wait = seconds_until_allowed(send_log, now=now, windows=windows)
    if wait is not None:
        raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=wait)
    return row_id, log_append(send_log, now=now, windows=windows)


def _client_address_record(*, network: str, now: datetime) -> None:
    stamp = connection.ops.adapt_datetimefield_value(now)
    address_id, send_log = _send_admitted_locked(
        ClientAddress,
        _CLIENT_ADDRESS_LOCK_SQL,
        [network, stamp],
        now=now.timestamp(),
        windows=_ip_windows(),
    )
    _execute(ClientAddress, _CLIENT_ADDRESS_SEND_SQL, [json.dumps(send_log), stamp, address_id])


async def login_code_deliver(request: CodeRequest, *, language: str, host: str) -> None:
    """Send the code by SMS, in `language`, for autofill on `host`; the gateway wait is an
    await: it holds no thread and no database connection.

    When no backend takes it, the request is taken back (login_code_request_undo) and
    sms_unavailable raised: the phone is as it was, its earlier code still works.
    """
    if request.fixed_code:
        await call_and_release_connection(fixed_code_delivery_record, phone=request.phone)
        return
    text = login_code_text(code=request.code, host=host, language=language)
    try:
        await sms_send(SmsMessage(phone=request.phone, code=request.code, text=text))
    except SmsUnavailable as unavailable:
        await call_and_release_connection(login_code_request_undo, request=request)
        raise ServiceError(problems.SMS_UNAVAILABLE, retry_after=unavailable.retry_after) from None


async def login_code_send(
    *, phone: str, client_ip: str, language: str, host: str, captcha_token: str | None = None
) -> CodeRequest:
    """Request a code and deliver it, from async code (the web pages).

    The bot check, when on, is awaited here, before the request's thread hop.
    """
    await captcha_averify(token=captcha_token, client_ip=client_ip)
    request = await call_and_release_connection(
        login_code_request, phone=phone, client_ip=client_ip, captcha_token=CAPTCHA_PASSED
    )
    await login_code_deliver(request, language=language, host=host)
    return request


def _network_failure_windows() -> list[Window]:
    return [Window(settings.OTP_IP_FAILURES_PER_HOUR, 3600)]


def login_code_request_undo(*, request: CodeRequest) -> bool:
    """Take back a code request whose SMS never went out: the replaced code comes back live
    with its tries, and the send leaves the phone's and the address's send logs, so it counts
    against no limit. Only while that request's code is still the phone's; whether it was."""
    ts = request.sent_at.timestamp()
    digest = login_code_digest(phone=request.phone, code=request.code)
    with transaction.atomic():
        login = (
            PhoneLogin.objects.select_for_update()
            .filter(phone=request.phone, code_digest=digest, code_sent_at=request.sent_at)
            .first()
        )
        if login is None:
            return False
        replaced = login.replaced_code or {}
        login.code_digest = replaced.get("digest") or ""
        login.code_sent_at = _stored_datetime(replaced.get("sent_at"))
        login.code_expires_at = _stored_datetime(replaced.get("expires_at"))
        login.code_failed_attempts = replaced.get("failed_attempts") or 0
        login.code_used_at = _stored_datetime(replaced.get("used_at"))
        login.send_log = [t for t in login.send_log if t != ts]
        login.replaced_code = None
        login.save()
        address = (
            ClientAddress.objects.select_for_update()
            .filter(network=client_network(request.client_ip))
            .first()
        )
        if address is not None and ts in address.send_log:
            address.send_log = [t for t in address.send_log if t != ts]
            address.save(update_fields=["send_log"])
        code_send_refund(sent_at=request.sent_at)
    return True


def _stored_datetime(value: str | None) -> datetime | None:
    """A time as the database put it into replaced_code (ISO 8601, UTC when naive)."""
    parsed = parse_datetime(value) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


@metrics.counted(metrics.LOGIN_REFUSALS)
def login_code_verify(
    *,
    phone: str,
    code: str,
    client_ip: str,
    invite_code: str | None = None,
    now: datetime | None = None,
) -> Login:
    """Log in with the code sent to `phone`; the first login creates the user.

    A code works once. A wrong code, an expired one and none at all get the same answer, so
    a guess tells nobody whether the number is logging in right now. Every wrong try counts
    against the client's network, for this phone and for all phones; against the phone it
    only counts towards killing its live code, so a guesser elsewhere never locks the owner
    out (README, "Rate limits").
    """
    phone = phone_to_e164(phone)
    code_verify_screen(phone=phone)
    if not isinstance(code, str) or not login_code_pattern().fullmatch(code):
        raise ServiceError(
            problems.INVALID_INPUT,
            field="code",
            detail=login_code_format_message(),
        )
    now = now or timezone.now()
    ts = now.timestamp()
    network = client_network(client_ip)
    with transaction.atomic():
        # Locked in the order a code request locks them: the phone's row, then the network's.
        login = _phone_login_locked(phone)
        failures = _failures_within_day(login.failures_by_network, now=ts)
        wait = seconds_until_allowed(failures.get(network, []), now=ts, windows=_failure_windows())
        if wait is not None:
            raise ServiceError(problems.TOO_MANY_ATTEMPTS, retry_after=wait)
        address = _client_address_locked(network) if settings.OTP_IP_FAILURES_PER_HOUR else None
        if address is not None:
            wait = seconds_until_allowed(
                address.failure_log, now=ts, windows=_network_failure_windows()
            )
            if wait is not None:
                raise ServiceError(problems.TOO_MANY_ATTEMPTS, retry_after=wait)
        live = bool(login.code_digest) and login.code_expires_at > now
        if live and login_code_matches(phone=phone, code=code, digest=login.code_digest):
            login.code_digest = ""
            login.code_used_at = now
            login.save(update_fields=["code_digest", "code_used_at"])
            code_login_record(phone=phone, code_sent_at=login.code_sent_at)
            user, is_new_user = user_get_or_create(phone=phone, client_ip=client_ip)
            # Checked only once the code is right, so it tells nothing to someone guessing.
            refusal = None if user.is_active else ServiceError(problems.ACCOUNT_DISABLED)
        else:
            refusal = _wrong_code_counted(login, address, network=network, live=live, now=ts)
    if refusal is not None:
        # Raised after the block so the counted failure (or the spent code) is committed.
        raise refusal
    metrics.login_counted(is_new_user=is_new_user)
    invite_error = None
    if invite_code:
        try:
            invite_code_activate(user=user, invite_code=invite_code, client_ip=client_ip, now=now)
        except ServiceError as exc:
            invite_error = exc
    return Login(user=user, is_new_user=is_new_user, invite_error=invite_error)


def _wrong_code_counted(
    login: PhoneLogin, address: ClientAddress | None, *, network: str, live: bool, now: float
) -> ServiceError:
    """Counts a wrong check on the locked rows; the refusal to raise once they are saved."""
    if live:
        login.code_failed_attempts += 1
        if login.code_failed_attempts >= settings.OTP_MAX_ATTEMPTS:
            login.code_digest = ""
    failures = login.failures_by_network
    failures[network] = log_append(failures.get(network, []), now=now, windows=_failure_windows())
    login.save(update_fields=["code_digest", "code_failed_attempts", "failures_by_network"])
    if address is not None:
        address.failure_log = log_append(
            address.failure_log, now=now, windows=_network_failure_windows()
        )
        address.save(update_fields=["failure_log", "updated_at"])
    extra = {}
    if settings.OTP_FAILURES_PER_DAY > 0:
        # What this client has left on this number today: the same whether or not a code is
        # live, and whatever anyone else has tried.
        extra["attempts_left"] = settings.OTP_FAILURES_PER_DAY - len(failures[network])
    return ServiceError(problems.INVALID_CODE, field="code", extra=extra)


def _phone_login_locked(phone: str) -> PhoneLogin:
    """The phone's login row, created empty if the number never asked for a code, locked."""
    PhoneLogin.objects.bulk_create([PhoneLogin(phone=phone)], ignore_conflicts=True)
    return PhoneLogin.objects.select_for_update().get(phone=phone)


def _client_address_locked(network: str) -> ClientAddress:
    ClientAddress.objects.bulk_create([ClientAddress(network=network)], ignore_conflicts=True)
    return ClientAddress.objects.select_for_update().get(network=network)


def _failures_within_day(by_network: dict, *, now: float) -> dict[str, list[float]]:
    """The failure log of each network, trimmed to the last 24 h, without empty ones."""
    recent = {net: events_within(log, now=now, seconds=DAY) for net, log in by_network.items()}
    return {net: log for net, log in recent.items() if log}


def token_issue(*, user: User) -> tuple[str, datetime]:
    """A new bearer token (256 random bits; only its SHA-512 digest is stored)."""
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def token_revoke(*, token: AuthToken) -> None:
    token.delete()


def tokens_revoke_all(*, user: User) -> None:
    """Log out everywhere: every bearer token and every web session of `user` ends."""
    with transaction.atomic():
        AuthToken.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)


def _staff_login_windows(key: str) -> list[Window]:
    if key.startswith("account:"):
        return [Window(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT, 15 * 60)]
    return [Window(settings.STAFF_LOGIN_FAILURES_PER_NETWORK, 3600)]


def staff_password_authenticate(
    *, phone: str, password: str, client_ip: str, now: datetime | None = None
) -> User | None:
    """The staff member with this phone and password (the admin's login), or None.

    Failures are counted per account from one client network and per network. Both rows are
    locked while the password is checked, so concurrent tries queue and the count is exact,
    and a network over either limit is refused before any password hash is computed. No
    limit is per account alone: someone elsewhere cannot lock a staff member out.
    """
    try:
        account = phone_to_e164(phone)
    except ServiceError:
        account = phone
    network = client_network(client_ip)
    keys = sorted([f"account:{account}@{network}", f"network:{network}"])
    now = now or timezone.now()
    ts = now.timestamp()
    with transaction.atomic():
        StaffLoginThrottle.objects.bulk_create(
            [StaffLoginThrottle(key=key) for key in keys], ignore_conflicts=True
        )
        # In key order, so two logins never wait for each other's second row.
        rows = list(
            StaffLoginThrottle.objects.select_for_update().filter(key__in=keys).order_by("key")
        )
        waits = [
            seconds_until_allowed(row.failure_log, now=ts, windows=_staff_login_windows(row.key))
            for row in rows
        ]
        if any(wait is not None for wait in waits):
            raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=max(w or 0 for w in waits))
        user = authenticate(None, username=account, password=password)
        for row in rows:
            if user is None:
                row.failure_log = log_append(
                    row.failure_log, now=ts, windows=_staff_login_windows(row.key)
                )
            elif row.key.startswith("account:"):
                row.failure_log = []
            else:
                continue
            row.save(update_fields=["failure_log", "updated_at"])
    return user
