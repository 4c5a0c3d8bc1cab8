"""Reads of users and referrals that the API, the web pages and the admin share."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import QuerySet

from phoneref.users.models import User

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
    """Users who activated `user`'s code and count as referrals, newest first, read from one
    covering index."""
    return (
        User.objects.filter(referred_by=user, referral_rejected=False)
        .order_by("-referred_at", "-id")
        .only("id", "phone", "referred_at")
    )


@dataclass(frozen=True)
class ProfileExtras:
    """What a profile shows beyond the user's own row."""

    activated_invite_code: str | None
    recent_referrals: list[str]


# The profile's reads, written as SQL because building them with the ORM took longer than
# running them. The newest referrals come straight from the covering index, so a million
# referrals cost what ten do; the activated code is read only when there is one.
_RECENT_REFERRALS_SQL = (
    "SELECT phone FROM {table} WHERE referred_by_id = %s AND NOT referral_rejected"
    " ORDER BY referred_at DESC, id DESC LIMIT %s"
)
_INVITE_CODE_SQL = "SELECT invite_code FROM {table} WHERE id = %s"
# The same two reads as select-list expressions over a user row aliased `u`.
_PROFILE_EXTRAS_SQL = """
(SELECT r.invite_code FROM {table} r WHERE r.id = u.referred_by_id),
ARRAY(
    SELECT x.phone FROM {table} x WHERE x.referred_by_id = u.id AND NOT x.referral_rejected
    ORDER BY x.referred_at DESC, x.id DESC LIMIT {limit}
)
"""


@cache
def profile_extras_sql() -> str:
    """ProfileExtras of the user row aliased `u`, as SQL select-list expressions.

    A statement that reads the user row anyway can select them beside it and hand the values
    to `profile_get`: the profile API's authentication does, so a profile is one round trip.
    """
    table = connection.ops.quote_name(User._meta.db_table)
    return _PROFILE_EXTRAS_SQL.format(table=table, limit=PROFILE_RECENT_REFERRALS)


def _profile_extras_read(user: User) -> ProfileExtras:
    table = connection.ops.quote_name(User._meta.db_table)
    activated = None
    with connection.cursor() as cursor:
        if user.referred_by_id is not None:
            cursor.execute(_INVITE_CODE_SQL.format(table=table), [user.referred_by_id])
            (activated,) = cursor.fetchone()
        cursor.execute(
            _RECENT_REFERRALS_SQL.format(table=table), [user.pk, PROFILE_RECENT_REFERRALS]
        )
        recent = [phone for (phone,) in cursor.fetchall()]
    return ProfileExtras(activated_invite_code=activated, recent_referrals=recent)


def profile_get(*, user: User, extras: ProfileExtras | None = None) -> Profile:
    """`user`'s profile; pass `extras` when they were read with the user row."""
    if extras is None:
        extras = _profile_extras_read(user)
    return Profile(
        phone=user.phone,
        invite_code=user.invite_code,
        activated_invite_code=extras.activated_invite_code,
        referrals=extras.recent_referrals,
        referrals_count=user.referrals_count,
        date_joined=user.date_joined,
    )
