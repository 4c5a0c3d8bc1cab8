"""Every user is made by the manager: a unique invite code, a usable password only for staff."""

import pytest
from django.db import IntegrityError

from phoneref.users import models
from phoneref.users.models import User
from phoneref.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_user_gets_a_unique_invite_code_and_no_password():
    user = User.objects.create_user("+79161234567")
    assert len(user.invite_code) == 6
    assert not user.has_usable_password()
    assert user.referrals_count == 0


def test_staff_are_created_with_a_password():
    admin = User.objects.create_superuser("+79161234567", "a-long-pass-phrase")
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.check_password("a-long-pass-phrase")
    assert len(admin.invite_code) == 6


def test_a_phone_as_typed_into_createsuperuser_is_stored_as_e164():
    admin = User.objects.create_superuser("8 (916) 123-45-67", "a-long-pass-phrase")
    admin.refresh_from_db()
    assert admin.phone == "+79161234567"


def test_an_invite_code_collision_is_retried(monkeypatch):
    taken = UserFactory.create()
    codes = iter([taken.invite_code, taken.invite_code, "ABCDEF"])
    monkeypatch.setattr(models, "invite_code_generate", lambda: next(codes))
    # A phone the factory's sequence (+7916...) never makes, whichever test ran before.
    assert User.objects.create_user("+79031234567").invite_code == "ABCDEF"


def test_a_duplicate_phone_is_not_mistaken_for_a_code_collision():
    UserFactory.create(phone="+79160000001")
    with pytest.raises(IntegrityError):
        User.objects.create_user("+79160000001")
