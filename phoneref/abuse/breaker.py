"""The per-prefix breaker against SMS pumping.

A prefix is a number's country code and the next `OTP_PREFIX_DIGITS` digits (`7999` for
+7 999 ...). Each code request to a prefix is counted in a row per minute (and per shard, so
a crowd of requests to one prefix does not queue on one row), in one statement that also
refuses the request while the prefix is paused; a verified login is counted against the
minute its code was sent. From time to time a request has the prefix judged: the requests of
the last `OTP_PREFIX_WINDOW_MINUTES`, leaving out those younger than a code's lifetime (their
codes may still be entered), are compared with the prefix's usual rate over the
`OTP_PREFIX_BASELINE_DAYS` before; far more than usual (`OTP_PREFIX_RATE_FACTOR` times, and at
least `OTP_PREFIX_MIN_SENDS`) with few logins (under `OTP_PREFIX_MIN_VERIFIED` of them) pauses
the prefix for `OTP_PREFIX_PAUSE_MINUTES`. Every count is an atomic increment and the pause an
upsert, so the rule holds across processes and replicas.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone
from phonenumbers import PhoneNumber

from phoneref.abuse.models import PrefixPause, PrefixSends
from phoneref.core.errors import ServiceError, problems

logger = logging.getLogger(__name__)

SHARDS = 10
# A shard's count reaching a multiple of this (or its first request of a minute) has the
# prefix judged: at most ten judgements a minute for a quiet prefix, about one request in a
# hundred under a crowd.
JUDGE_EVERY = 100


def number_prefix(number: PhoneNumber) -> str:
    national = str(_national_number(number))
    return f"{number.country_code}{national[: settings.OTP_PREFIX_DIGITS]}"


def _national_number(number: PhoneNumber) -> int:
    # phonenumbers.parse() always fills it in; only a PhoneNumber() built empty lacks it.
    if number.national_number is None:
        raise ValueError("a phone number without its national number has no prefix")
    return number.national_number


def prefix_send_admit(*, number: PhoneNumber, now: datetime) -> None:
    """Count a code request to the number's prefix, or refuse it while the prefix is paused."""
    if not settings.OTP_PREFIX_BREAKER:
        return
    prefix = number_prefix(number)
    params = {
        "prefix": prefix,
        "paused_prefix": prefix,
        "minute": _minute(now),
        "shard": _national_number(number) % SHARDS,
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    counted = _execute(_COUNT_UNLESS_PAUSED_SQL, params)
    if not counted:
        until = PrefixPause.objects.filter(prefix=prefix).values_list("paused_until", flat=True)
        wait = (until.first() or now) - now
        wait_seconds = max(1, math.ceil(wait.total_seconds()))
        raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=wait_seconds)
    [(sends,)] = counted
    if sends == 1 or sends % JUDGE_EVERY == 0:
        prefix_judge(prefix=prefix, now=now)


def prefix_login_record(*, number: PhoneNumber, sent_at: datetime) -> None:
    """A code sent at `sent_at` led to a login: count it for that minute's requests."""
    if not settings.OTP_PREFIX_BREAKER:
        return
    PrefixSends.objects.filter(
        prefix=number_prefix(number),
        minute=_minute(sent_at),
        shard=_national_number(number) % SHARDS,
    ).update(logins=F("logins") + 1)


@dataclass(frozen=True)
class Verdict:
    sends: int
    logins: int
    usual: float
    trips: bool


def prefix_verdict(*, prefix: str, now: datetime) -> Verdict:
    """How the prefix's judged requests compare with its usual rate and its logins."""
    now_minute = _minute(now)
    window = settings.OTP_PREFIX_WINDOW_MINUTES
    # A code still alive may yet be entered; requests are judged once their codes expired.
    judged_end = now_minute - math.ceil(settings.OTP_TTL_SECONDS / 60)
    history_start = now_minute - settings.OTP_PREFIX_BASELINE_DAYS * 24 * 60
    judged_start = now_minute - window
    judge_from = (
        PrefixPause.objects.filter(prefix=prefix).values_list("judge_from", flat=True).first()
    )
    if judge_from is not None:
        judged_start = max(judged_start, _minute(judge_from))
    # An aggregate without GROUP BY: one row, even where the prefix has none.
    [(sends, logins, earlier, first)] = _execute(
        _JUDGE_SQL,
        {
            "prefix": prefix,
            "judged_start": judged_start,
            "judged_end": judged_end,
            "window_start": now_minute - window,
            "history_start": history_start,
        },
    )
    judged_minutes = max(judged_end - judged_start, 0)
    # The usual rate over the history there is: a young deployment has less than the days asked.
    history_minutes = now_minute - window - max(history_start, first or now_minute)
    usual = earlier / history_minutes * judged_minutes if history_minutes > 0 else 0.0
    trips = (
        sends >= settings.OTP_PREFIX_MIN_SENDS
        and sends > settings.OTP_PREFIX_RATE_FACTOR * usual
        and logins < settings.OTP_PREFIX_MIN_VERIFIED * sends
    )
    return Verdict(sends=sends, logins=logins, usual=usual, trips=trips)


def prefix_judge(*, prefix: str, now: datetime) -> bool:
    """Pause the prefix if its verdict says so; whether this call paused it."""
    verdict = prefix_verdict(prefix=prefix, now=now)
    if not verdict.trips:
        return False
    until = now + timedelta(minutes=settings.OTP_PREFIX_PAUSE_MINUTES)
    paused = _execute(
        _PAUSE_SQL,
        {
            "prefix": prefix,
            "now": connection.ops.adapt_datetimefield_value(now),
            "until": connection.ops.adapt_datetimefield_value(until),
            "sends": verdict.sends,
            "logins": verdict.logins,
        },
    )
    if paused:
        logger.warning(
            "code requests to prefix +%s paused until %s: %d requests, %d logins, usual %.1f",
            prefix,
            until.isoformat(),
            verdict.sends,
            verdict.logins,
            verdict.usual,
        )
    return bool(paused)


def prefix_pause_lift(*, pause: PrefixPause, by, now: datetime | None = None) -> None:
    """Staff lift a pause: sends resume, and the breaker judges only requests from now on."""
    now = now or timezone.now()
    PrefixPause.objects.filter(pk=pause.pk).update(
        paused_until=now, judge_from=now, lifted_at=now, lifted_by=by
    )


def prefix_counts_purge(*, now: datetime) -> int:
    """Delete the counts older than any judgement reads; how many rows went."""
    history = settings.OTP_PREFIX_BASELINE_DAYS * 24 * 60 + settings.OTP_PREFIX_WINDOW_MINUTES
    deleted, _ = PrefixSends.objects.filter(minute__lt=_minute(now) - history).delete()
    return deleted


def _minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _execute(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    tables = {
        "sends": connection.ops.quote_name(PrefixSends._meta.db_table),
        "pauses": connection.ops.quote_name(PrefixPause._meta.db_table),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**tables), params)
        return cursor.fetchall()


# No row back: the prefix is paused and nothing was counted.
_COUNT_UNLESS_PAUSED_SQL = """
INSERT INTO {sends} AS c (prefix, minute, shard, sends, logins)
SELECT CAST(%(prefix)s AS varchar(8)), CAST(%(minute)s AS bigint),
    CAST(%(shard)s AS smallint), 1, 0
WHERE NOT EXISTS (
    SELECT 1 FROM {pauses} p WHERE p.prefix = %(paused_prefix)s AND p.paused_until > %(now)s
)
ON CONFLICT (prefix, minute, shard) DO UPDATE SET sends = c.sends + 1
RETURNING sends
"""
_JUDGE_SQL = """
SELECT
    COALESCE(SUM(sends) FILTER (
        WHERE minute >= %(judged_start)s AND minute < %(judged_end)s), 0),
    COALESCE(SUM(logins) FILTER (
        WHERE minute >= %(judged_start)s AND minute < %(judged_end)s), 0),
    COALESCE(SUM(sends) FILTER (WHERE minute < %(window_start)s), 0),
    MIN(minute)
FROM {sends}
WHERE prefix = %(prefix)s AND minute >= %(history_start)s
"""
# Only a prefix not paused already is (re)paused, so concurrent judges pause it once.
_PAUSE_SQL = """
INSERT INTO {pauses} AS p (prefix, paused_at, paused_until, sends, logins)
VALUES (%(prefix)s, %(now)s, %(until)s, %(sends)s, %(logins)s)
ON CONFLICT (prefix) DO UPDATE SET
    paused_at = excluded.paused_at, paused_until = excluded.paused_until,
    sends = excluded.sends, logins = excluded.logins, lifted_at = NULL, lifted_by_id = NULL
WHERE p.paused_until <= excluded.paused_at
RETURNING prefix
"""
