"""Activation rules under real parallel connections (PostgreSQL row locks)."""

from functools import partial

import pytest

from phoneref.core.errors import ServiceError
from phoneref.core.testing import run_in_parallel
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory, referral_chain

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def test_twenty_parallel_activations_by_one_user_leave_exactly_one(settings):
    settings.INVITE_FAILURES_PER_HOUR = 100
    user = UserFactory.create()
    referrers = [UserFactory.create() for _ in range(20)]
    results = run_in_parallel(
        [partial(invite_code_activate, user=user, invite_code=r.invite_code) for r in referrers]
    )
    successes = [r for r in results if not isinstance(r, Exception)]
    assert len(successes) == 1
    assert {r.code for r in results if isinstance(r, ServiceError)} == {
        "invite_code_already_activated"
    }
    assert len(results) - len(successes) == 19
    user.refresh_from_db()
    assert user.referred_by_id == successes[0].referred_by_id
    assert sum(User.objects.filter(pk__in=[r.pk for r in referrers]).values_list(
        "referrals_count", flat=True
    )) == 1  # fmt: skip


def test_thirty_users_activating_one_code_at_once_all_count():
    referrer = UserFactory.create()
    users = [UserFactory.create() for _ in range(30)]
    results = run_in_parallel(
        [partial(invite_code_activate, user=u, invite_code=referrer.invite_code) for u in users]
    )
    assert not [r for r in results if isinstance(r, Exception)]
    referrer.refresh_from_db()
    assert referrer.referrals_count == 30
    assert User.objects.filter(referred_by=referrer).count() == 30


def test_two_users_activating_each_others_codes_at_once_make_no_cycle():
    for _ in range(5):
        a, b = UserFactory.create(), UserFactory.create()
        results = run_in_parallel(
            [
                partial(invite_code_activate, user=a, invite_code=b.invite_code),
                partial(invite_code_activate, user=b, invite_code=a.invite_code),
            ]
        )
        [error] = [r for r in results if isinstance(r, Exception)]
        assert isinstance(error, ServiceError)
        assert error.code == "referral_cycle"
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.referred_by_id is None) != (b.referred_by_id is None)


def test_closing_a_three_user_cycle_from_both_ends_at_once_is_refused():
    a, b = referral_chain(2)  # b was invited by a
    c = UserFactory.create()
    # c -> b would make a -> b -> c ... and a -> c closes it; run both at once.
    results = run_in_parallel(
        [
            lambda: invite_code_activate(user=c, invite_code=b.invite_code),
            lambda: invite_code_activate(user=a, invite_code=c.invite_code),
        ]
    )
    [error] = [r for r in results if isinstance(r, Exception)]
    assert isinstance(error, ServiceError)
    assert error.code == "referral_cycle"
