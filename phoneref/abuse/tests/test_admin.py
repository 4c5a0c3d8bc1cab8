"""Staff lift paused prefixes and judge flagged referrals in the admin, through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from phoneref.abuse.models import PrefixPause, ReferralActivation
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = User.objects.create_superuser("+79990000000", "a-long-pass-phrase")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture
def referrals():
    referrer = UserFactory.create()
    shared, clean = UserFactory.create(), UserFactory.create()
    invite_code_activate(user=shared, invite_code=referrer.invite_code, client_ip="192.0.2.1")
    invite_code_activate(user=clean, invite_code=referrer.invite_code, client_ip="198.51.100.1")
    ReferralActivation.objects.filter(referee=shared).update(
        flag=ReferralActivation.Flag.SHARED_NETWORK, review=ReferralActivation.Review.PENDING
    )
    return referrer, shared, clean


def test_only_flagged_referrals_are_listed(staff_client, referrals):
    _, shared, clean = referrals
    page = staff_client.get("/admin/abuse/referralactivation/").content.decode()
    assert shared.phone in page
    assert clean.phone not in page


def test_rejecting_in_the_admin_takes_the_referral_out_of_the_count(staff_client, referrals):
    referrer, shared, _ = referrals
    response = staff_client.post(
        "/admin/abuse/referralactivation/",
        {"action": "reject", "_selected_action": [shared.pk]},
    )
    assert response.status_code == 302
    referrer.refresh_from_db()
    assert referrer.referrals_count == 1
    activation = ReferralActivation.objects.get(referee=shared)
    assert (activation.review, activation.reviewed_by) == ("rejected", staff_client.admin)


def test_confirming_in_the_admin_keeps_the_count(staff_client, referrals):
    referrer, shared, _ = referrals
    staff_client.post(
        "/admin/abuse/referralactivation/",
        {"action": "confirm", "_selected_action": [shared.pk]},
    )
    referrer.refresh_from_db()
    assert referrer.referrals_count == 2
    assert ReferralActivation.objects.get(referee=shared).review == "confirmed"


def test_staff_see_paused_prefixes_and_lift_a_pause(staff_client):
    now = timezone.now()
    pause = PrefixPause.objects.create(
        prefix="7999", paused_at=now, paused_until=now + timedelta(hours=1), sends=500, logins=3
    )
    page = staff_client.get("/admin/abuse/prefixpause/").content.decode()
    assert "+7999" in page
    response = staff_client.post(
        "/admin/abuse/prefixpause/", {"action": "lift", "_selected_action": [pause.pk]}
    )
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.paused_until <= timezone.now()
    assert pause.lifted_by == staff_client.admin


def test_nothing_here_can_be_edited_by_hand(staff_client, referrals):
    _, shared, _ = referrals
    assert staff_client.get("/admin/abuse/prefixpause/add/").status_code == 403
    change = staff_client.post(
        f"/admin/abuse/referralactivation/{shared.pk}/change/", {"review": "confirmed"}
    )
    assert change.status_code == 403
