"""Use cases of logging in: send a code, check it, issue and revoke tokens."""

import json
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken

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
    captcha_token: str | None = None,
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
        "network": client_network(client_ip),
        "digest": login_code_digest(phone=phone, code=code),
        "sent_at": connection.ops.adapt_datetimefield_value(now),
        "expires_at": connection.ops.adapt_datetimefield_value(
            now + timedelta(seconds=settings.OTP_TTL_SECONDS)
        ),
        "now": ts,
        "first_log": json.dumps([ts]),
    }
    if fixed:
        return _fixed_code_store(new_code, code=fixed, client_ip=client_ip, sent_at=now)
    try:
        # The all-sends budget's row, when it is on, changes with the send or not at all.
        with transaction.atomic() if code_send_needs_transaction() else nullcontext():
            send_log = _phone_login_new_code(new_code)
            code_send_spend(now=now)
    except _SendRefused:
        # Read once the refusal's transaction, if any, is over.
        raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=_send_wait(new_code)) from None
    resend_in = seconds_until_allowed(send_log, now=ts, windows=_send_windows()) or 0
    return CodeRequest(
        phone=phone,
        code=code,
        expires_in=settings.OTP_TTL_SECONDS,
        resend_in=resend_in,
        sent_at=now,
        client_ip=client_ip,
    )


def _fixed_code_store(
    new_code: dict[str, Any], *, code: str, client_ip: str, sent_at: datetime
) -> CodeRequest:
    """A test number's code: stored like any other, but outside every send limit and the
    abuse checks (login_code_request skips them). Its wrong tries count as usual."""
    _execute(_with_tables(_PHONE_LOGIN_FIXED_CODE_SQL), new_code)
    return CodeRequest(
        phone=new_code["phone"],
        code=code,
        expires_in=settings.OTP_TTL_SECONDS,
        resend_in=0,
        sent_at=sent_at,
        client_ip=client_ip,
        fixed_code=True,
    )


# A code request is the busiest write: a crowd of them arrives at once. Its rows are read and
# written in SQL written once here, because the ORM took longer to build its statements than
# the database took to run them.


def _phone_login_new_code(new_code: dict) -> list[float]:
    """Store the new code in one statement if every send limit allows it; the new send log.

    ON CONFLICT DO UPDATE locks the existing row (phone, client network) and its WHERE checks
    the limits on that locked row, so they stay exact across processes with no transaction
    around the statement. A refused send changes nothing. A number or a client that has
    asked before and one that never has cost the same statement.
    """
    ip_limited = settings.OTP_IP_SENDS_PER_HOUR > 0
    sql = _phone_login_new_code_sql(tuple(_send_windows()), ip_limited and tuple(_ip_windows()))
    try:
        stored = _execute(sql, new_code)
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != _SEND_REFUSED_SQLSTATE:
            raise
        stored = []
    if not stored:
        raise _SendRefused
    [(send_log,)] = stored
    # jsonb reaches a raw cursor as text.
    return json.loads(send_log)


class _SendRefused(Exception):
    """A send limit refused the code request; nothing was written."""


def _send_wait(new_code: dict) -> int:
    """Seconds until the refused send would pass every limit that is on, phone's and client's."""
    [(phone_log, network_log)] = _execute(_with_tables(_SEND_LOGS_SQL), new_code)
    ts = new_code["now"]
    waits = [seconds_until_allowed(json.loads(phone_log or "[]"), now=ts, windows=_send_windows())]
    if settings.OTP_IP_SENDS_PER_HOUR > 0:
        waits.append(
            seconds_until_allowed(json.loads(network_log or "[]"), now=ts, windows=_ip_windows())
        )
    # The statement refused by these same rules, so one wait is set; 1 s if a send made since
    # has already moved the window.
    return max((wait for wait in waits if wait is not None), default=1)


@cache
def _phone_login_new_code_sql(
    windows: tuple[Window, ...], ip_windows: tuple[Window, ...] | Literal[False]
) -> str:
    phone = {
        "new_log": sql_log_append("login.send_log", "excluded.send_log", list(windows)),
        "allowed": sql_admits_one_more("login.send_log", list(windows)),
        "replaced": _REPLACED_CODE_SQL,
    }
    if not ip_windows:
        return _with_tables(
            _PHONE_LOGIN_NEW_CODE_IF_ALLOWED_SQL.format(**phone, source="VALUES (", source_end=")")
        )
    client_allowed_before = sql_admits_one_more(
        "coalesce((SELECT send_log FROM known), '[]'::jsonb)", list(ip_windows)
    )
    sql = _WITH_CLIENT_SQL.format(
        login=_PHONE_LOGIN_NEW_CODE_IF_ALLOWED_SQL.format(
            **phone, source="SELECT", source_end=f"WHERE {client_allowed_before}"
        ),
        client_new_log=sql_log_append("client.send_log", "excluded.send_log", list(ip_windows)),
        client_allowed=sql_admits_one_more("client.send_log", list(ip_windows)),
    )
    return _with_tables(sql)


_PHONE_LOGIN_NEW_CODE_IF_ALLOWED_SQL = """
INSERT INTO {{logins}} AS login (
    phone, code_digest, code_sent_at, code_expires_at, code_failed_attempts, code_used_at,
    send_log, failures_by_network, replaced_code
)
{source}
    %(phone)s, %(digest)s, %(sent_at)s, %(expires_at)s, 0, NULL, %(first_log)s::jsonb,
    jsonb_build_object(), NULL
{source_end}
ON CONFLICT (phone) DO UPDATE SET
    code_digest = excluded.code_digest, code_sent_at = excluded.code_sent_at,
    code_expires_at = excluded.code_expires_at, code_failed_attempts = 0, code_used_at = NULL,
    send_log = {new_log}, replaced_code = {replaced}
WHERE {allowed}
RETURNING send_log
"""
# The code a send replaces, kept on the row until the next send (SET reads the old values).
_REPLACED_CODE_SQL = """jsonb_build_object(
    'digest', login.code_digest, 'sent_at', login.code_sent_at,
    'expires_at', login.code_expires_at, 'failed_attempts', login.code_failed_attempts,
    'used_at', login.code_used_at)"""
_PHONE_LOGIN_FIXED_CODE_SQL = """
INSERT INTO {logins} AS login (
    phone, code_digest, code_sent_at, code_expires_at, code_failed_attempts, code_used_at,
    send_log, failures_by_network
)
VALUES (%(phone)s, %(digest)s, %(sent_at)s, %(expires_at)s, 0, NULL, '[]', '{{}}')
ON CONFLICT (phone) DO UPDATE SET
    code_digest = excluded.code_digest, code_sent_at = excluded.code_sent_at,
    code_expires_at = excluded.code_expires_at, code_failed_attempts = 0, code_used_at = NULL
"""
# With the per-client cap on, the phone's row is written first, and the client's row charged
# only if it was; both change or neither does. Rows are locked phone first, then client, as
# login_code_verify locks them, so no two statements deadlock. `known` reads the client's row
# before, unlocked, and the phone's row is written only if that admits the send: since a send
# log only grows, a send it refuses the locked row would refuse too, so a client at its cap
# costs no write. A send it admits that the locked row then refuses (sends from the same
# client committed in between, as in a burst from one address) makes the statement fail
# (_SEND_REFUSED_SQLSTATE), and with it the phone's write.
_WITH_CLIENT_SQL = """
WITH known AS (
    SELECT send_log FROM {{clients}} WHERE network = %(network)s
), login AS (
{login}
), client AS (
    INSERT INTO {{clients}} AS client (network, send_log, failure_log, updated_at)
    SELECT %(network)s, %(first_log)s::jsonb, '[]', %(sent_at)s FROM login
    ON CONFLICT (network) DO UPDATE SET
        send_log = {client_new_log}, updated_at = excluded.updated_at
    WHERE {client_allowed}
    RETURNING 1
)
SELECT send_log FROM login WHERE EXISTS (SELECT FROM client)
UNION ALL
SELECT phoneref_send_refused() FROM login WHERE NOT EXISTS (SELECT FROM client)
"""
# What phoneref_send_refused() raises (migration phoneauth 0005).
_SEND_REFUSED_SQLSTATE = "PR429"
_SEND_LOGS_SQL = """
SELECT (SELECT send_log FROM {logins} WHERE phone = %(phone)s),
    (SELECT send_log FROM {clients} WHERE network = %(network)s)
"""


def _with_tables(sql: str) -> str:
    quote = connection.ops.quote_name
    return sql.format(
        logins=quote(PhoneLogin._meta.db_table), clients=quote(ClientAddress._meta.db_table)
    )


def _execute(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


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
        live_sent_at = _live_code_sent_at(login, now=now)
        if live_sent_at is not None and login_code_matches(
            phone=phone, code=code, digest=login.code_digest
        ):
            login.code_digest = ""
            login.code_used_at = now
            login.save(update_fields=["code_digest", "code_used_at"])
            code_login_record(phone=phone, code_sent_at=live_sent_at)
            user, is_new_user = user_get_or_create(phone=phone, client_ip=client_ip)
            # Checked only once the code is right, so it tells nothing to someone guessing.
            refusal = None if user.is_active else ServiceError(problems.ACCOUNT_DISABLED)
        else:
            refusal = _wrong_code_counted(
                login, address, network=network, live=live_sent_at is not None, now=ts
            )
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


def _live_code_sent_at(login: PhoneLogin, *, now: datetime) -> datetime | None:
    """When the number's live code was sent; None if it has none, or it has expired."""
    if not login.code_digest or login.code_sent_at is None or login.code_expires_at is None:
        return None
    return login.code_sent_at if login.code_expires_at > now else None


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
