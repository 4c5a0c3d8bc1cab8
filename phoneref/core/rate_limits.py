"""Rolling-window limits over a short list of event times kept on a database row.

The row that holds the list is locked while it is read and written, so concurrent
requests in any worker process see and respect the same count. The same rules are also
given as SQL over a jsonb log, for a write that checks and appends in one statement.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    limit: int  # 0 switches the limit off
    seconds: int


def events_within(log: list[float], *, now: float, seconds: int) -> list[float]:
    return sorted(t for t in log if t > now - seconds)


def seconds_until_allowed(log: list[float], *, now: float, windows: list[Window]) -> int | None:
    """None when one more event fits every window, else how long until it does."""
    waits = []
    for window in windows:
        if window.limit <= 0:
            continue
        recent = events_within(log, now=now, seconds=window.seconds)
        if len(recent) >= window.limit:
            # The window admits one more event once its limit-th newest entry leaves it.
            waits.append(recent[-window.limit] + window.seconds - now)
    if not waits:
        return None
    return max(1, math.ceil(max(waits)))


def log_append(log: list[float], *, now: float, windows: list[Window]) -> list[float]:
    """The log with `now` added and everything older than the longest window dropped."""
    longest = max((w.seconds for w in windows), default=0)
    return [*events_within(log, now=now, seconds=longest), now]


# Window sizes and limits are formatted in as integers (`:d`); the time is a parameter.
_SQL_FITS_WINDOW = (
    "(SELECT count(*) FROM jsonb_array_elements({log}) AS e"
    " WHERE e::float8 > %(now)s::float8 - {seconds:d}) < {limit:d}"
)
_SQL_LOG_APPEND = (
    "coalesce((SELECT jsonb_agg(e ORDER BY e::float8) FROM jsonb_array_elements({log}) AS e"
    " WHERE e::float8 > %(now)s::float8 - {seconds:d}), '[]'::jsonb) || {new_events}"
)


def sql_admits_one_more(log_column: str, windows: list[Window]) -> str:
    """PostgreSQL, true when one more event fits every window: seconds_until_allowed() is None.

    `log_column` is a jsonb array of event times; the statement's %(now)s is the time.
    """
    checks = [
        _SQL_FITS_WINDOW.format(log=log_column, seconds=window.seconds, limit=window.limit)
        for window in windows
        if window.limit > 0
    ]
    return " AND ".join(checks) or "true"


def sql_log_append(log_column: str, new_events: str, windows: list[Window]) -> str:
    """PostgreSQL for log_append(): the jsonb log trimmed to the longest window, `new_events`
    (a jsonb array) added."""
    longest = max((w.seconds for w in windows), default=0)
    return _SQL_LOG_APPEND.format(log=log_column, seconds=longest, new_events=new_events)
