"""The profile read apart (web page, verify) and read with the token (profile API) agree."""

import pytest

from phoneref.users.models import User
from phoneref.users.selectors import PROFILE_RECENT_REFERRALS, profile_get
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory, referees_bulk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("activated", [False, True])
@pytest.mark.parametrize("count", [0, 3, PROFILE_RECENT_REFERRALS + 20])
def test_both_reads_give_the_same_profile(auth_client, count, activated):
    user = auth_client.user
    phones = referees_bulk(user, count)
    if activated:
        invite_code_activate(user=user, invite_code=UserFactory().invite_code)

    read_apart = profile_get(user=User.objects.get(pk=user.pk))
    read_with_the_token = auth_client.get("/api/v1/profile/").json()

    newest_first = phones[::-1]
    assert read_apart.referrals == newest_first[:PROFILE_RECENT_REFERRALS]
    assert read_with_the_token["referrals"] == read_apart.referrals
    assert read_with_the_token["activated_invite_code"] == read_apart.activated_invite_code
    assert (read_apart.activated_invite_code is not None) == activated
