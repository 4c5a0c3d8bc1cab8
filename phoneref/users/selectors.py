"""Reads of users and referrals that the API, the web pages and the admin share."""

import binascii
import re
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet

from phoneref.users.models import REFERRAL_ORDER, User

PROFILE_RECENT_REFERRALS = 100


@dataclass(frozen=True)
class Profile:
    phone: str
    invite_code: str
    activated_invite_code: str | None
    referrals: list[str]
    referrals_count: int
    date_joined: datetime


def referral_list(*, user: User) -> QuerySet[User]:
    """Users who activated `user`'s code and count as referrals, in REFERRAL_ORDER (newest
    first), read from one covering index."""
    return (
        User.objects.filter(referred_by=user, referral_rejected=False)
        .order_by(*REFERRAL_ORDER)
        .only("id", "phone", "referred_at")
    )


class ReferralCursor(NamedTuple):
    """A place in `referral_list`: the page is the rows just past it, or just before it when
    `newer`. Its fields are named as the fields of REFERRAL_ORDER."""

    referred_at: datetime
    id: int
    newer: bool = False


class InvalidReferralCursor(ValueError):
    """Text that no page of `referral_page` gave out."""


# What the profile page shows at a time and the API gives unless asked for another size.
REFERRAL_PAGE_SIZE = 20


@dataclass(frozen=True)
class ReferralPage:
    referrals: list[User]
    # Opaque (see `referral_cursor_encode`): the pages just older and just newer, or None.
    older_cursor: str | None
    newer_cursor: str | None


# The encoded text is urlsafe base64 of `<o|n><microseconds since the epoch>.<id>`. 16 digits of
# microseconds reach the year 2286, so decoding can never overflow a datetime; 18 digits of id
# always fit a bigint.
_CURSOR_TEXT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CURSOR_PAYLOAD = re.compile(r"([on])([0-9]{1,16})\.([0-9]{1,18})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def referral_cursor_encode(cursor: ReferralCursor) -> str:
    micros = (cursor.referred_at - _EPOCH) // _MICROSECOND
    payload = f"{'n' if cursor.newer else 'o'}{micros}.{cursor.id}"
    return urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


def referral_cursor_decode(text: str) -> ReferralCursor:
    """The cursor `referral_cursor_encode` wrote as `text`; InvalidReferralCursor for any other."""
    if _CURSOR_TEXT.fullmatch(text) is None:
        raise InvalidReferralCursor(text)
    try:
        payload = urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidReferralCursor(text) from None
    match = _CURSOR_PAYLOAD.fullmatch(payload)
    if match is None:
        raise InvalidReferralCursor(text)
    direction, micros, pk = match.groups()
    return ReferralCursor(_EPOCH + int(micros) * _MICROSECOND, int(pk), newer=direction == "n")


def referral_page(*, user: User, size: int, cursor: ReferralCursor | None = None) -> ReferralPage:
    """One page of `user`'s referrals in `referral_list`'s order: the first, or the one just
    past `cursor`. Never a COUNT(*), never an OFFSET: one range of the covering index, so the
    millionth referral costs what the first does.

    Fewer than a page newer than a `newer` cursor gives the first page, so "newer" always
    shows a full page.
    """
    if cursor is not None and cursor.newer:
        return _newer_page(user, cursor, size) or _older_page(user, None, size)
    return _older_page(user, cursor, size)


def _cursor_at(referral: User, *, newer: bool) -> str:
    # The database gives every referral its time (user_referred_at_with_referrer).
    if referral.referred_at is None:
        raise ValueError(f"user {referral.pk} is listed as a referral but has no referred_at")
    return referral_cursor_encode(ReferralCursor(referral.referred_at, referral.pk, newer))


def _past(cursor: ReferralCursor) -> Q:
    """The rows past `cursor` in REFERRAL_ORDER (before it when `newer`): compared field by
    field, the later fields breaking ties, plus a bound on the first field alone so that the
    index range starts at the cursor."""
    condition, ties = Q(), Q()
    for term in REFERRAL_ORDER:
        name = term.removeprefix("-")
        value = getattr(cursor, name)
        lookup = "lt" if term.startswith("-") != cursor.newer else "gt"
        condition |= ties & Q(**{f"{name}__{lookup}": value})
        ties &= Q(**{name: value})
    first = REFERRAL_ORDER[0].removeprefix("-")
    bound = "lte" if REFERRAL_ORDER[0].startswith("-") != cursor.newer else "gte"
    return condition & Q(**{f"{first}__{bound}": getattr(cursor, first)})


def _older_page(user: User, cursor: ReferralCursor | None, size: int) -> ReferralPage:
    referrals = referral_list(user=user)
    if cursor is not None:
        referrals = referrals.filter(_past(cursor))
    rows = list(referrals[: size + 1])
    older = _cursor_at(rows[size - 1], newer=False) if len(rows) > size else None
    rows = rows[:size]
    newer = None
    if cursor is not None:
        # Past the last row the page is empty; "newer" then leads back to the rows before it.
        newer = (
            _cursor_at(rows[0], newer=True)
            if rows
            else referral_cursor_encode(cursor._replace(newer=True))
        )
    return ReferralPage(rows, older, newer)


def _newer_page(user: User, cursor: ReferralCursor, size: int) -> ReferralPage | None:
    """The `size` rows just newer than `cursor`, or None when fewer than that are."""
    rows = list(referral_list(user=user).filter(_past(cursor)).reverse()[: size + 1])
    if len(rows) <= size:
        return None
    rows = rows[:size][::-1]
    return ReferralPage(rows, _cursor_at(rows[-1], newer=False), _cursor_at(rows[0], newer=True))


# Written as SQL because building it with the ORM took longer than running it.
_INVITE_CODE_SQL = "SELECT invite_code FROM {table} WHERE id = %s"


def _activated_invite_code(user: User) -> str | None:
    if user.referred_by_id is None:
        return None
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_INVITE_CODE_SQL.format(table=table), [user.referred_by_id])
        (code,) = cursor.fetchone()
    return code


# Stands for the user in the statement of `_recent_referral_phones`, compiled without one.
_ANY_USER_ID = -1


@cache
def _recent_referral_phones_statement() -> tuple[str, tuple[Any, ...]]:
    recent = referral_list(user=User(pk=_ANY_USER_ID)).values_list("phone", flat=True)
    sql, params = recent[:PROFILE_RECENT_REFERRALS].query.sql_with_params()
    # The swap in `_recent_referral_phones` must find the stand-in, and only it.
    if params.count(_ANY_USER_ID) != 1:
        raise RuntimeError("referral_list's statement must name its user exactly once")
    return sql, params


def _recent_referral_phones(user: User) -> list[str]:
    """The phones of `user`'s newest referrals: `referral_list`'s own statement (its filter,
    REFERRAL_ORDER, its covering index), compiled once because the ORM took longer to build
    it than the database took to run it."""
    sql, params = _recent_referral_phones_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk if p == _ANY_USER_ID else p for p in params])
        return [phone for (phone,) in cursor.fetchall()]


def profile_get(*, user: User) -> Profile:
    """`user`'s profile: their own row, the code they activated and their newest referrals.

    The newest referrals come straight from the covering index of `referral_list`, so a
    million cost what ten do; the activated code is read only when there is one.
    """
    return Profile(
        phone=user.phone,
        invite_code=user.invite_code,
        activated_invite_code=_activated_invite_code(user),
        referrals=_recent_referral_phones(user),
        referrals_count=user.referrals_count,
        date_joined=user.date_joined,
    )
