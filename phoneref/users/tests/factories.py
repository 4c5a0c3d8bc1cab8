import factory

from phoneref.users.models import User
from phoneref.users.services import invite_code_activate, user_create


class UserFactory(factory.django.DjangoModelFactory):
    """Users made by the real service, so invite codes follow the real rules."""

    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"+7916{n:07d}")

    @classmethod
    def _create(cls, model_class, phone: str, **fields) -> User:
        return user_create(phone=phone, **fields)


def referral_chain(length: int) -> list[User]:
    """`length` users, each invited by the one before (chain[0] is the root), via the service."""
    users = [UserFactory()]
    for _ in range(length - 1):
        invitee = UserFactory()
        invite_code_activate(user=invitee, invite_code=users[-1].invite_code)
        users.append(invitee)
    return users
