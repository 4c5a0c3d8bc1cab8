"""The budget of all code sends together: OTP_SENDS_PER_HOUR_TOTAL in any rolling hour.

One row holds the sends of each minute of the last hour. A send locks it, checks and adds
itself in the caller's transaction, after the send's own limits passed: a refused send spends
nothing, and the row is held only from there to the commit.
"""

import json
import math
from datetime import datetime

from django.conf import settings
from django.db import connection

from phoneref.abuse.models import SendBudget
from phoneref.core.errors import ServiceError, problems

WINDOW_MINUTES = 60


def send_budget_on() -> bool:
    return settings.OTP_SENDS_PER_HOUR_TOTAL > 0


def send_budget_spend(*, now: datetime) -> None:
    """Take one send from the budget, or raise too_many_requests with the wait until one is
    free. Must run in the transaction that makes the send, so a rollback gives it back."""
    if not send_budget_on():
        return
    if not connection.in_atomic_block:
        raise RuntimeError("send_budget_spend() runs in the send's transaction")
    table = connection.ops.quote_name(SendBudget._meta.db_table)
    minute = int(now.timestamp() // 60)
    with connection.cursor() as cursor:
        minutes = {
            m: n for m, n in _minutes_locked(cursor, table).items() if m > minute - WINDOW_MINUTES
        }
        wait = _seconds_until_free(minutes, now=now)
        if wait is not None:
            raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=wait)
        minutes[minute] = minutes.get(minute, 0) + 1
        cursor.execute(_WRITE_SQL.format(table=table), [json.dumps(minutes)])


def send_budget_refund(*, sent_at: datetime) -> None:
    """Give back the send made at `sent_at` (its SMS never went out), in the caller's
    transaction."""
    if not send_budget_on():
        return
    table = connection.ops.quote_name(SendBudget._meta.db_table)
    minute = int(sent_at.timestamp() // 60)
    with connection.cursor() as cursor:
        minutes = _minutes_locked(cursor, table)
        if minutes.get(minute, 0) > 0:
            minutes[minute] -= 1
            cursor.execute(_WRITE_SQL.format(table=table), [json.dumps(minutes)])


def _minutes_locked(cursor, table: str) -> dict[int, int]:
    """The budget's sends by minute, its row locked (and created if new) until the commit."""
    cursor.execute(_LOCK_SQL.format(table=table))
    (stored,) = cursor.fetchone()
    return {
        int(m): n for m, n in (json.loads(stored) if isinstance(stored, str) else stored).items()
    }


def _seconds_until_free(minutes: dict[int, int], *, now: datetime) -> int | None:
    """None if one more send fits; else seconds until enough old minutes leave the window."""
    cap = settings.OTP_SENDS_PER_HOUR_TOTAL
    total = sum(minutes.values())
    if total < cap:
        return None
    for minute in sorted(minutes):
        total -= minutes[minute]
        if total < cap:
            leaves_at = (minute + WINDOW_MINUTES) * 60
            return max(1, math.ceil(leaves_at - now.timestamp()))
    raise AssertionError("unreachable: the window empties")


# ON CONFLICT DO UPDATE takes the row lock SELECT ... FOR UPDATE would, creating the row first.
_LOCK_SQL = """
INSERT INTO {table} (id, minutes) VALUES (1, '{{}}')
ON CONFLICT (id) DO UPDATE SET id = excluded.id
RETURNING minutes
"""
_WRITE_SQL = "UPDATE {table} SET minutes = %s WHERE id = 1"
