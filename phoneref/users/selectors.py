"""Reads of users and referrals that the API, the web pages and the admin share."""

from dataclasses import dataclass
from datetime import datetime

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


def profile_get(*, user: User) -> Profile:
    activated = None
    if user.referred_by_id is not None:
        activated = (
            User.objects.filter(pk=user.referred_by_id)
            .values_list("invite_code", flat=True)
            .first()
        )
    recent = list(
        referral_list(user=user).values_list("phone", flat=True)[:PROFILE_RECENT_REFERRALS]
    )
    return Profile(
        phone=user.phone,
        invite_code=user.invite_code,
        activated_invite_code=activated,
        referrals=recent,
        referrals_count=user.referrals_count,
        date_joined=user.date_joined,
    )
