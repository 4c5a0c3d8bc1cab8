"""The profile's own reads: the code the user activated and their newest referrals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from phoneref.users.models import User
from phoneref.users.selectors import PROFILE_RECENT_REFERRALS, profile_get
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory, referees_bulk
from phoneref.users.tests.plans import ordered_plan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("activated", [False, True])
@pytest.mark.parametrize("count", [0, 3, PROFILE_RECENT_REFERRALS + 20])
def test_the_profile_has_the_activated_code_and_the_newest_referrals(
    user, count, activated, django_assert_num_queries
):
    phones = referees_bulk(user, count)
    referrer = UserFactory.create()
    if activated:
        invite_code_activate(user=user, invite_code=referrer.invite_code)
    user = User.objects.get(pk=user.pk)

    # The newest referrals, and the activated code only when there is one.
    with django_assert_num_queries(2 if activated else 1):
        profile = profile_get(user=user)

    assert profile.referrals == phones[::-1][:PROFILE_RECENT_REFERRALS]
    assert profile.referrals_count == count
    assert profile.activated_invite_code == (referrer.invite_code if activated else None)


def test_rejected_referrals_are_not_in_the_profile(user):
    phones = referees_bulk(user, 3)
    User.objects.filter(phone=phones[1]).update(referral_rejected=True)
    assert profile_get(user=user).referrals == [phones[2], phones[0]]


def test_the_newest_referrals_are_one_limited_index_only_range(user):
    referees_bulk(user, 50)
    with CaptureQueriesContext(connection) as queries:
        profile_get(user=user)
    (query,) = queries
    plan = ordered_plan(query["sql"])
    assert plan.splitlines()[0].startswith("Limit")
    assert "Index Only Scan" in plan
    assert "user_referrals_newest" in plan
    assert "Sort" not in plan


def test_each_profile_has_its_own_users_referrals(user):
    # The statement is compiled once; each call reads the referrals of the user it is given.
    own = referees_bulk(user, 2)
    other, referee = UserFactory.create(), UserFactory.create()
    invite_code_activate(user=referee, invite_code=other.invite_code)
    assert profile_get(user=user).referrals == own[::-1]
    assert profile_get(user=other).referrals == [referee.phone]
