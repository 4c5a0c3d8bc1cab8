"""Invite code activation: every rule and error code (SPEC 2.4)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from phoneref.core.errors import ServiceError
from phoneref.users.models import User
from phoneref.users.selectors import referral_list
from phoneref.users.services import (
    invite_code_activate,
    invite_code_refusal,
    user_get_or_create,
)
from phoneref.users.tests.factories import UserFactory, referral_chain

pytestmark = pytest.mark.django_db


def refused(user: User, code: str, expected: str) -> ServiceError:
    with pytest.raises(ServiceError) as error:
        invite_code_activate(user=user, invite_code=code)
    assert error.value.code == expected
    return error.value


def test_get_or_create_returns_the_existing_user():
    existing = UserFactory.create(phone="+79160000001")
    assert user_get_or_create(phone="+79160000001") == (existing, False)


def test_activation_links_the_user_to_the_code_owner():
    referrer, user = UserFactory.create(), UserFactory.create()
    activated = invite_code_activate(user=user, invite_code=referrer.invite_code.lower())
    assert activated.referred_by_id == referrer.pk
    user.refresh_from_db()
    referrer.refresh_from_db()
    assert user.referred_by == referrer
    assert user.referred_at is not None
    assert referrer.referrals_count == 1


def test_an_unknown_code_is_not_found():
    UserFactory.create()
    refused(UserFactory.create(), "ZZZZZZ", "invite_code_not_found")


def test_a_malformed_code_is_invalid():
    refused(UserFactory.create(), "abc", "invalid_invite_code")


def test_the_own_code_is_refused():
    user = UserFactory.create()
    refused(user, user.invite_code, "invite_code_is_own")


def test_only_one_code_can_ever_be_activated():
    first, second, user = UserFactory.create(), UserFactory.create(), UserFactory.create()
    invite_code_activate(user=user, invite_code=first.invite_code)
    refused(user, second.invite_code, "invite_code_already_activated")
    refused(user, first.invite_code, "invite_code_already_activated")
    user.refresh_from_db()
    assert user.referred_by == first
    second.refresh_from_db()
    assert second.referrals_count == 0


def test_a_two_user_cycle_is_refused():
    a, b = referral_chain(2)
    refused(a, b.invite_code, "referral_cycle")


def test_a_three_user_cycle_is_refused():
    a, _, c = referral_chain(3)
    refused(a, c.invite_code, "referral_cycle")


def test_a_long_cycle_is_refused():
    chain = referral_chain(12)
    refused(chain[0], chain[-1].invite_code, "referral_cycle")


def test_joining_another_tree_is_not_a_cycle():
    _, b = referral_chain(2)
    x, _ = referral_chain(2)
    invite_code_activate(user=x, invite_code=b.invite_code)
    x.refresh_from_db()
    assert x.referred_by == b


def test_a_refused_activation_changes_no_counts():
    a, b = referral_chain(2)
    refused(a, b.invite_code, "referral_cycle")
    b.refresh_from_db()
    a.refresh_from_db()
    assert (a.referrals_count, b.referrals_count) == (1, 0)
    assert a.referred_by is None


def test_ten_failed_activations_per_hour_then_too_many_requests():
    user, referrer = UserFactory.create(), UserFactory.create()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(10):
            refused(user, "ZZZZZZ", "invite_code_not_found")
            clock.shift(timedelta(minutes=1))
        error = refused(user, referrer.invite_code, "too_many_requests")
        assert error.retry_after == 3600 - 10 * 60
        clock.shift(timedelta(seconds=error.retry_after))
        invite_code_activate(user=user, invite_code=referrer.invite_code)


def test_every_kind_of_failure_counts_towards_the_limit(settings):
    settings.INVITE_FAILURES_PER_HOUR = 3
    user = UserFactory.create()
    refused(user, "abc", "invalid_invite_code")
    refused(user, user.invite_code, "invite_code_is_own")
    refused(user, "ZZZZZZ", "invite_code_not_found")
    refused(user, UserFactory.create().invite_code, "too_many_requests")


def test_referrals_are_listed_newest_first():
    referrer = UserFactory.create()
    invitees = [UserFactory.create() for _ in range(3)]
    for invitee in invitees:
        invite_code_activate(user=invitee, invite_code=referrer.invite_code)
    listed = list(referral_list(user=referrer).values_list("phone", flat=True))
    assert listed == [u.phone for u in reversed(invitees)]


def _refusal_case(case: str) -> tuple[User, str, str]:
    """A user, a code they type and the refusal it must get, for each activation rule."""
    user = UserFactory.create()
    if case == "malformed":
        return user, "abc", "invalid_invite_code"
    if case == "own":
        return user, user.invite_code.lower(), "invite_code_is_own"
    if case == "unknown":
        return user, "ZZZZZZ", "invite_code_not_found"
    if case == "already activated":
        invite_code_activate(user=user, invite_code=UserFactory.create().invite_code)
        return user, UserFactory.create().invite_code, "invite_code_already_activated"
    root, *_, leaf = referral_chain(3)
    return root, leaf.invite_code, "referral_cycle"


@pytest.mark.parametrize("case", ["malformed", "own", "unknown", "already activated", "cycle"])
def test_the_refusal_is_the_one_the_activation_raises(case):
    user, code, expected = _refusal_case(case)
    refusal = invite_code_refusal(user=User.objects.get(pk=user.pk), invite_code=code)
    assert refusal is not None
    assert refusal.code == expected
    assert refusal.field == "invite_code"
    # Asking counts no failed attempt; the activation does.
    assert User.objects.get(pk=user.pk).invite_failure_log == []
    refused(User.objects.get(pk=user.pk), code, expected)
    assert len(User.objects.get(pk=user.pk).invite_failure_log) == 1


def test_a_code_that_may_be_activated_has_no_refusal_and_asking_changes_nothing():
    user, referrer = UserFactory.create(), UserFactory.create()
    assert invite_code_refusal(user=user, invite_code=f" {referrer.invite_code.lower()} ") is None
    referrer.refresh_from_db()
    user.refresh_from_db()
    assert (referrer.referrals_count, user.referred_by_id) == (0, None)
