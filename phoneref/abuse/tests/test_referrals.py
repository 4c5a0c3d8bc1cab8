"""Referral fraud flags: recorded networks, flags for review, staff's verdicts."""

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from phoneref.abuse.models import ReferralActivation, SignupNetwork
from phoneref.abuse.referrals import network_hashes, referral_review
from phoneref.auth.services import login_code_request, login_code_verify, token_issue
from phoneref.core.errors import ServiceError
from phoneref.core.testing import run_in_parallel
from phoneref.users.models import User
from phoneref.users.selectors import profile_get, referral_list
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Review = ReferralActivation.Review
Flag = ReferralActivation.Flag


def sign_up(phone: str, ip: str, invite_code: str | None = None) -> User:
    """A first login through the real flow, from `ip`."""
    code = login_code_request(phone=phone, client_ip=ip).code
    return login_code_verify(phone=phone, code=code, invite_code=invite_code, client_ip=ip).user


def test_a_sign_up_keeps_only_keyed_hashes_of_its_address_and_network():
    user = sign_up("+79161110001", "203.0.113.7")
    record = SignupNetwork.objects.get(user=user)
    assert (record.address_hash, record.network_hash) == network_hashes("203.0.113.7")
    assert "203.0.113" not in record.address_hash + record.network_hash
    assert len(record.network_hash) == 64


def test_networks_are_the_24_of_ipv4_and_the_64_of_ipv6(settings):
    assert network_hashes("203.0.113.7")[1] == network_hashes("203.0.113.200")[1]
    assert network_hashes("203.0.113.7")[0] != network_hashes("203.0.113.200")[0]
    assert network_hashes("203.0.113.7")[1] != network_hashes("203.0.114.7")[1]
    assert network_hashes("2001:db8:1:2::1")[1] == network_hashes("2001:db8:1:2:ffff::9")[1]
    assert network_hashes("2001:db8:1:2::1")[1] != network_hashes("2001:db8:1:3::1")[1]
    assert network_hashes("::ffff:203.0.113.7") == network_hashes("203.0.113.7")
    before = network_hashes("203.0.113.7")
    settings.SECRET_KEY = "another-secret-key-another-secret-key-another-secret"
    assert network_hashes("203.0.113.7") != before


def test_an_activation_from_the_referrer_s_network_is_flagged_not_refused():
    referrer = sign_up("+79161110001", "198.51.100.10")
    referee = sign_up("+79161110002", "198.51.100.99", invite_code=referrer.invite_code)
    referee.refresh_from_db()
    assert referee.referred_by == referrer
    activation = ReferralActivation.objects.get(referee=referee)
    assert (activation.flag, activation.review) == (Flag.SHARED_NETWORK, Review.PENDING)
    referrer.refresh_from_db()
    assert referrer.referrals_count == 1


def test_a_referee_who_signed_up_on_the_referrer_s_network_is_flagged_wherever_they_activate():
    referrer = sign_up("+79161110001", "198.51.100.10")
    referee = sign_up("+79161110002", "198.51.100.11")
    invite_code_activate(user=referee, invite_code=referrer.invite_code, client_ip="192.0.2.1")
    assert ReferralActivation.objects.get(referee=referee).flag == Flag.SHARED_NETWORK


def test_an_activation_from_elsewhere_is_recorded_unflagged():
    referrer = sign_up("+79161110001", "198.51.100.10")
    referee = sign_up("+79161110002", "192.0.2.1", invite_code=referrer.invite_code)
    activation = ReferralActivation.objects.get(referee=referee)
    assert (activation.flag, activation.review) == (Flag.NONE, Review.NONE)


def test_a_burst_of_activations_of_one_code_from_one_network_flags_the_later_ones(settings):
    settings.REFERRAL_BURST_ACTIVATIONS = 3
    referrer = sign_up("+79161110001", "198.51.100.10")
    referees = [UserFactory.create() for _ in range(5)]
    for n, referee in enumerate(referees):
        invite_code_activate(
            user=referee, invite_code=referrer.invite_code, client_ip=f"192.0.2.{n + 1}"
        )
    flags = [ReferralActivation.objects.get(referee=r).flag for r in referees]
    assert flags == [
        Flag.NONE,
        Flag.NONE,
        Flag.NETWORK_BURST,
        Flag.NETWORK_BURST,
        Flag.NETWORK_BURST,
    ]
    # Past the window the count starts again.
    later = timezone.now() + timedelta(minutes=61)
    late = UserFactory.create()
    invite_code_activate(
        user=late, invite_code=referrer.invite_code, client_ip="192.0.2.9", now=later
    )
    assert ReferralActivation.objects.get(referee=late).flag == Flag.NONE


def test_staff_activating_in_the_admin_record_no_network():
    referrer, referee = UserFactory.create(), UserFactory.create()
    invite_code_activate(user=referee, invite_code=referrer.invite_code)
    assert not ReferralActivation.objects.exists()


@pytest.fixture
def flagged(user):
    """A referrer with two referees from its own network, both flagged."""
    referrer = sign_up("+79161110001", "198.51.100.10")
    first = sign_up("+79161110002", "198.51.100.20", invite_code=referrer.invite_code)
    second = sign_up("+79161110003", "198.51.100.30", invite_code=referrer.invite_code)
    return referrer, first, second


def test_a_rejected_referral_leaves_the_referrer_s_list_and_count(flagged, user):
    referrer, first, second = flagged
    referral_review(
        activation=ReferralActivation.objects.get(referee=first), verdict=Review.REJECTED, by=user
    )
    referrer.refresh_from_db()
    assert referrer.referrals_count == 1
    assert [u.phone for u in referral_list(user=referrer)] == [second.phone]
    profile = profile_get(user=referrer)
    assert (profile.referrals, profile.referrals_count) == ([second.phone], 1)
    activation = ReferralActivation.objects.get(referee=first)
    assert (activation.review, activation.reviewed_by) == (Review.REJECTED, user)


def test_the_rejected_referee_s_one_activation_stays_used(flagged, user):
    referrer, first, _ = flagged
    referral_review(
        activation=ReferralActivation.objects.get(referee=first), verdict=Review.REJECTED, by=user
    )
    other = UserFactory.create()
    with pytest.raises(ServiceError) as refused:
        invite_code_activate(user=first, invite_code=other.invite_code)
    assert refused.value.code == "invite_code_already_activated"
    assert profile_get(user=User.objects.get(pk=first.pk)).activated_invite_code == (
        referrer.invite_code
    )


def test_rejecting_twice_counts_once_and_confirming_puts_it_back(flagged, user):
    referrer, first, _ = flagged
    activation = ReferralActivation.objects.get(referee=first)
    referral_review(activation=activation, verdict=Review.REJECTED, by=user)
    referral_review(activation=activation, verdict=Review.REJECTED, by=user)
    referrer.refresh_from_db()
    assert referrer.referrals_count == 1
    referral_review(activation=activation, verdict=Review.CONFIRMED, by=user)
    referrer.refresh_from_db()
    assert referrer.referrals_count == 2
    assert first.phone in [u.phone for u in referral_list(user=referrer)]


def test_the_api_shows_no_flags_and_follows_rejections(api_client, flagged, user):
    referrer, first, second = flagged
    token, _ = token_issue(user=referrer)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = api_client.get("/api/v1/profile/").json()
    assert set(before) == {
        "phone",
        "invite_code",
        "invite_link",
        "activated_invite_code",
        "referrals",
        "referrals_count",
        "date_joined",
    }
    referral_review(
        activation=ReferralActivation.objects.get(referee=first), verdict=Review.REJECTED, by=user
    )
    profile = api_client.get("/api/v1/profile/").json()
    assert (profile["referrals"], profile["referrals_count"]) == ([second.phone], 1)
    page = api_client.get("/api/v1/profile/referrals/").json()
    assert [r["phone"] for r in page["results"]] == [second.phone]
    assert page["count"] == 1
    assert set(page["results"][0]) == {"phone", "activated_at"}


def test_the_web_profile_follows_rejections(client, flagged, user):
    referrer, first, second = flagged
    referral_review(
        activation=ReferralActivation.objects.get(referee=first), verdict=Review.REJECTED, by=user
    )
    client.force_login(referrer)
    page = client.get("/profile/").content.decode()
    assert second.phone in page
    assert first.phone not in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_parallel_rejections_of_one_referral_count_it_out_once():
    staff = UserFactory.create()
    referrer = sign_up("+79161110001", "198.51.100.10")
    referee = sign_up("+79161110002", "198.51.100.20", invite_code=referrer.invite_code)
    activation = ReferralActivation.objects.get(referee=referee)
    results = run_in_parallel(
        [lambda: referral_review(activation=activation, verdict=Review.REJECTED, by=staff)] * 8
    )
    assert not any(isinstance(r, Exception) for r in results)
    referrer.refresh_from_db()
    assert referrer.referrals_count == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_parallel_activations_from_one_network_flag_exactly_the_burst(settings):
    settings.REFERRAL_BURST_ACTIVATIONS = 4
    referrer = sign_up("+79161110001", "198.51.100.10")
    referees = [UserFactory.create() for _ in range(10)]
    results = run_in_parallel(
        [
            partial(
                invite_code_activate,
                user=r,
                invite_code=referrer.invite_code,
                client_ip=f"192.0.2.{n + 1}",
            )
            for n, r in enumerate(referees)
        ]
    )
    assert not any(isinstance(r, Exception) for r in results)
    flags = ReferralActivation.objects.values_list("flag", flat=True)
    assert sorted(flags) == sorted([Flag.NONE] * 3 + [Flag.NETWORK_BURST] * 7)
    referrer.refresh_from_db()
    assert referrer.referrals_count == 10
