"""A circuit breaker per provider backend, shared by every process through BackendHealth rows.

A closed breaker costs no database work per send: each process reads the rows at most once
a second and writes only when a send fails, or succeeds after failures. The failure count
is raised by one conditional upsert, so processes failing at once all count.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from phoneref.sms.models import BackendHealth

_REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class _Seen:
    failures: int
    open_until: float  # epoch seconds; 0 when closed
    read_at: float  # time.monotonic()


_seen: dict[str, _Seen] = {}


def breaker_stale(names: list[str]) -> bool:
    """Whether this process's view of these backends is older than a second."""
    now = time.monotonic()
    return any(
        (seen := _seen.get(name)) is None or now - seen.read_at > _REFRESH_SECONDS for name in names
    )


def breaker_refresh(names: list[str]) -> None:
    rows = {
        row.backend: row
        for row in BackendHealth.objects.filter(backend__in=names).only(
            "backend", "failures", "open_until"
        )
    }
    for name in names:
        row = rows.get(name)
        _remember(name, row.failures if row else 0, row.open_until if row else None)


def breaker_open_for(name: str, *, now: float) -> float:
    """Seconds this backend is still skipped for; 0 when it may be tried."""
    seen = _seen.get(name)
    return max(0.0, seen.open_until - now) if seen else 0.0


def breaker_retry_after(names: list[str], *, now: float) -> int:
    """When a send may work again: the soonest an open breaker closes, else its open time."""
    waits = [wait for name in names if (wait := breaker_open_for(name, now=now)) > 0]
    return max(1, round(min(waits, default=settings.SMS_BREAKER_SECONDS)))


_FAILURE_SQL = """
INSERT INTO {table} AS health (backend, failures, open_until)
VALUES (%(backend)s, 1, CASE WHEN 1 >= %(threshold)s THEN %(open_until)s::timestamptz END)
ON CONFLICT (backend) DO UPDATE SET
    failures = health.failures + 1,
    open_until = CASE WHEN health.failures + 1 >= %(threshold)s THEN %(open_until)s::timestamptz
        ELSE health.open_until END
RETURNING failures, open_until
"""
_SUCCESS_SQL = (
    "UPDATE {table} SET failures = 0, open_until = NULL WHERE backend = %s AND failures > 0"
)


def breaker_record(name: str, *, succeeded: bool) -> None:
    """Count a failed send (the breaker opens at SMS_BREAKER_FAILURES in a row), or close the
    breaker after a send that worked."""
    table = connection.ops.quote_name(BackendHealth._meta.db_table)
    with connection.cursor() as cursor:
        if succeeded:
            seen = _seen.get(name)
            if seen is None or seen.failures == 0:
                return
            cursor.execute(_SUCCESS_SQL.format(table=table), [name])
            _remember(name, 0, None)
            return
        open_until = timezone.now() + timedelta(seconds=settings.SMS_BREAKER_SECONDS)
        cursor.execute(
            _FAILURE_SQL.format(table=table),
            {"backend": name, "threshold": settings.SMS_BREAKER_FAILURES, "open_until": open_until},
        )
        failures, stored_open_until = cursor.fetchone()
    _remember(name, failures, stored_open_until)


def _remember(name: str, failures: int, open_until: datetime | None) -> None:
    until = open_until.astimezone(UTC).timestamp() if open_until else 0.0
    _seen[name] = _Seen(failures=failures, open_until=until, read_at=time.monotonic())


def breaker_forget() -> None:
    """Drop this process's view, so the next send reads the rows (tests start clean)."""
    _seen.clear()
