"""Keyset pages of a user's referrals: exact through ties, never lost, never repeated."""

from datetime import UTC, datetime, timedelta

import pytest

from phoneref.users.referral_pages import referral_cursor, referral_page
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, tzinfo=UTC)


def invite(referrer, minutes: list[int]):
    referrals = []
    for minute in minutes:
        referral = UserFactory()
        at = START + timedelta(minutes=minute)
        invite_code_activate(user=referral, invite_code=referrer.invite_code, now=at)
        referrals.append(referral)
    return referrals


def phones(page) -> list[str]:
    return [referral.phone for referral in page.referrals]


def test_walking_older_visits_every_referral_once_even_through_equal_times(user):
    # Five share one timestamp: only the id tells them apart.
    referrals = invite(user, [0, 1, 1, 1, 1, 1, 2])
    newest_first = sorted(referrals, key=lambda r: (r.referred_at, r.pk), reverse=True)
    seen, cursor = [], None
    while True:
        page = referral_page(user=user, size=2, older_than=cursor)
        seen += phones(page)
        if page.older_cursor is None:
            break
        cursor = page.older_cursor
    assert seen == [r.phone for r in newest_first]


def test_walking_newer_retraces_the_pages(user):
    invite(user, [0, 1, 1, 1, 2, 3, 4])
    first = referral_page(user=user, size=3)
    second = referral_page(user=user, size=3, older_than=first.older_cursor)
    third = referral_page(user=user, size=3, older_than=second.older_cursor)
    assert third.older_cursor is None
    back = referral_page(user=user, size=3, newer_than=third.newer_cursor)
    assert phones(back) == phones(second)
    assert referral_page(user=user, size=3, newer_than=back.newer_cursor) == first


def test_newer_than_near_the_top_shows_the_full_newest_page(user):
    referrals = invite(user, [0, 1, 2, 3, 4])
    page = referral_page(user=user, size=3, newer_than=referral_cursor(referrals[3]))
    assert page == referral_page(user=user, size=3)
    assert page.newer_cursor is None
    assert len(page.referrals) == 3


def test_past_the_last_referral_the_page_is_empty_and_leads_back(user):
    oldest = invite(user, [0, 1])[0]
    page = referral_page(user=user, size=3, older_than=referral_cursor(oldest))
    assert page.referrals == []
    assert page.older_cursor is None
    assert page.newer_cursor == referral_cursor(oldest)


def test_only_the_users_own_referrals_are_listed(user):
    invite(UserFactory(), [0])
    mine = invite(user, [1])
    assert phones(referral_page(user=user, size=20)) == [mine[0].phone]


@pytest.mark.parametrize("cursor", ["", "x", "1-", "-1", "1-2-3", "١-١", "9" * 17 + "-1"])
def test_a_cursor_that_does_not_parse_means_the_newest_page(user, cursor):
    invite(user, [0, 1])
    newest = referral_page(user=user, size=20)
    assert referral_page(user=user, size=20, older_than=cursor) == newest
    assert referral_page(user=user, size=20, newer_than=cursor) == newest
