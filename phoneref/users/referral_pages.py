"""Keyset pages of `referral_list` for the web profile: never a COUNT(*), never an OFFSET.

A cursor names one row by its place in the list's order, (referred_at, id), written as
`<microseconds since the epoch>-<id>`. A page is the rows just past the cursor, read as one
range of the covering index, so the millionth referral costs what the first does. The total
comes from `User.referrals_count`, which the activation service keeps.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q

from phoneref.users.models import User
from phoneref.users.selectors import referral_list

# 16 digits of microseconds reach the year 2286, so decoding can never overflow a datetime;
# 18 digits of id always fit a bigint.
_CURSOR = re.compile(r"([0-9]{1,16})-([0-9]{1,18})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class ReferralPage:
    referrals: list[User]
    older_cursor: str | None
    newer_cursor: str | None


def referral_cursor(referral: User) -> str:
    return _position_cursor((referral.referred_at, referral.pk))


def _position_cursor(position: tuple[datetime, int]) -> str:
    at, pk = position
    return f"{(at - _EPOCH) // _MICROSECOND}-{pk}"


def _cursor_position(cursor: str | None) -> tuple[datetime, int] | None:
    """The (referred_at, id) a cursor names; None for anything else, which means "newest"."""
    match = _CURSOR.fullmatch(cursor or "")
    if match is None:
        return None
    micros, pk = match.groups()
    return _EPOCH + int(micros) * _MICROSECOND, int(pk)


def referral_page(
    *, user: User, size: int, older_than: str | None = None, newer_than: str | None = None
) -> ReferralPage:
    """One page of `user`'s referrals, newest first: the newest, or the ones past a cursor.

    Cursors that do not parse are ignored, so a mangled link shows the newest page.
    """
    newer_position = _cursor_position(newer_than)
    if newer_position is not None:
        # Fewer than a page newer than the cursor: the newest page is the one to show.
        return _newer_page(user, newer_position, size) or _older_page(user, None, size)
    return _older_page(user, _cursor_position(older_than), size)


def _older_page(user: User, position: tuple[datetime, int] | None, size: int) -> ReferralPage:
    referrals = referral_list(user=user)
    if position is not None:
        at, pk = position
        # The `lte` bound lets the index range start at the cursor; the OR breaks ties.
        referrals = referrals.filter(
            Q(referred_at__lt=at) | Q(referred_at=at, pk__lt=pk), referred_at__lte=at
        )
    rows = list(referrals[: size + 1])
    older = referral_cursor(rows[size - 1]) if len(rows) > size else None
    rows = rows[:size]
    newer = None
    if position is not None:
        # Past the last row the page is empty; "newer" then leads back to the rows before it.
        newer = referral_cursor(rows[0]) if rows else _position_cursor(position)
    return ReferralPage(rows, older, newer)


def _newer_page(user: User, position: tuple[datetime, int], size: int) -> ReferralPage | None:
    """The `size` rows just newer than `position`, or None when fewer than that are."""
    at, pk = position
    rows = list(
        referral_list(user=user)
        .filter(Q(referred_at__gt=at) | Q(referred_at=at, pk__gt=pk), referred_at__gte=at)
        .reverse()[: size + 1]
    )
    if len(rows) <= size:
        return None
    rows = rows[:size][::-1]
    return ReferralPage(rows, referral_cursor(rows[-1]), referral_cursor(rows[0]))
