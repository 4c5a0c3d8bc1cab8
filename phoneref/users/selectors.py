"""Reads of users and referrals that the API, the web pages and the admin share."""

from dataclasses import dataclass
from datetime import datetime

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
    """Users who activated `user`'s code, newest first, read from one covering index."""
    return (
        User.objects.filter(referred_by=user)
        .order_by("-referred_at", "-id")
        .only("id", "phone", "referred_at")
    )


# The profile's reads, written as SQL because building them with the ORM took longer than
# running them: the newest referrals come straight from the covering index, so a million
# referrals cost what ten do; the activated code is read only when there is one.
_RECENT_REFERRALS_SQL = (
    "SELECT phone FROM {table} WHERE referred_by_id = %s"
    " ORDER BY referred_at DESC, id DESC LIMIT %s"
)
_INVITE_CODE_SQL = "SELECT invite_code FROM {table} WHERE id = %s"


def profile_get(*, user: User) -> Profile:
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
    return Profile(
        phone=user.phone,
        invite_code=user.invite_code,
        activated_invite_code=activated,
        referrals=recent,
        referrals_count=user.referrals_count,
        date_joined=user.date_joined,
    )
