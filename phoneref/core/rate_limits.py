"""Rolling-window limits over a short list of event times kept on a database row.

The row that holds the list is locked while it is read and written, so concurrent
requests in any worker process see and respect the same count.
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
