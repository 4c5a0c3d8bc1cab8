from datetime import timedelta

import factory
from django.utils import timezone

from phoneref.users.models import User
from phoneref.users.services import invite_code_activate


class UserFactory(factory.django.DjangoModelFactory[User]):
    """Users made by the real manager, so invite codes follow the real rules."""

    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"+7916{n:07d}")

    @classmethod
    def _create(cls, model_class, phone: str, **fields) -> User:
        return model_class.objects.create_user(phone, **fields)


def referral_chain(length: int) -> list[User]:
    """`length` users, each invited by the one before (chain[0] is the root), via the service."""
    users = [UserFactory.create()]
    for _ in range(length - 1):
        invitee = UserFactory.create()
        invite_code_activate(user=invitee, invite_code=users[-1].invite_code)
        users.append(invitee)
    return users


def referees_bulk(referrer: User, count: int) -> list[str]:
    """`count` referees of `referrer` written directly, a second apart, the last the newest.

    For reads at scale; the activation rules are tested through the service elsewhere.
    Returns their phones in the order written.
    """
    start = timezone.now() - timedelta(days=1)
    referees = User.objects.bulk_create(
        User(
            phone=f"+7926{n:07d}",
            invite_code=f"B{n:05d}".translate(str.maketrans("01", "AB")),
            referred_by=referrer,
            referred_at=start + timedelta(seconds=n),
        )
        for n in range(count)
    )
    User.objects.filter(pk=referrer.pk).update(referrals_count=count)
    referrer.refresh_from_db()
    return [referee.phone for referee in referees]
