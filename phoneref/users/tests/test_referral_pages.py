"""Keyset pages of a user's referrals: exact through ties, never lost, never repeated, one
range of the covering index whatever the count, behind a cursor that is opaque."""

import re
from base64 import urlsafe_b64encode
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from phoneref.users.models import User
from phoneref.users.selectors import (
    InvalidReferralCursor,
    ReferralCursor,
    referral_cursor_decode,
    referral_cursor_encode,
    referral_list,
    referral_page,
)
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory, referees_bulk
from phoneref.users.tests.plans import ordered_plan

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, tzinfo=UTC)


def invite(referrer, minutes: list[int]):
    referrals = []
    for minute in minutes:
        referral = UserFactory.create()
        at = START + timedelta(minutes=minute)
        invite_code_activate(user=referral, invite_code=referrer.invite_code, now=at)
        referrals.append(referral)
    return referrals


def phones(page) -> list[str]:
    return [referral.phone for referral in page.referrals]


def page_at(user, size: int, cursor: str | None):
    return referral_page(
        user=user, size=size, cursor=referral_cursor_decode(cursor) if cursor else None
    )


def test_walking_older_visits_every_referral_once_even_through_equal_times(user):
    # Five share one timestamp: only the id tells them apart.
    referrals = invite(user, [0, 1, 1, 1, 1, 1, 2])
    newest_first = sorted(referrals, key=lambda r: (r.referred_at, r.pk), reverse=True)
    seen, cursor = [], None
    while True:
        page = page_at(user, 2, cursor)
        seen += phones(page)
        if page.older_cursor is None:
            break
        cursor = page.older_cursor
    assert seen == [r.phone for r in newest_first]


def test_walking_newer_retraces_the_pages(user):
    invite(user, [0, 1, 1, 1, 2, 3, 4])
    first = page_at(user, 3, None)
    second = page_at(user, 3, first.older_cursor)
    third = page_at(user, 3, second.older_cursor)
    assert third.older_cursor is None
    back = page_at(user, 3, third.newer_cursor)
    assert phones(back) == phones(second)
    assert page_at(user, 3, back.newer_cursor) == first


def test_newer_than_near_the_top_shows_the_full_newest_page(user):
    referrals = invite(user, [0, 1, 2, 3, 4])
    near_top = ReferralCursor(referrals[3].referred_at, referrals[3].pk, newer=True)
    page = referral_page(user=user, size=3, cursor=near_top)
    assert page == referral_page(user=user, size=3)
    assert page.newer_cursor is None
    assert len(page.referrals) == 3


def test_past_the_last_referral_the_page_is_empty_and_leads_back(user):
    oldest = invite(user, [0, 1])[0]
    past_oldest = ReferralCursor(oldest.referred_at, oldest.pk)
    page = referral_page(user=user, size=3, cursor=past_oldest)
    assert page.referrals == []
    assert page.older_cursor is None
    assert page.newer_cursor is not None
    back = referral_cursor_decode(page.newer_cursor)
    assert back == past_oldest._replace(newer=True)
    assert phones(referral_page(user=user, size=3, cursor=back)) == phones(
        referral_page(user=user, size=3)
    )


def test_only_the_users_own_referrals_are_listed(user):
    invite(UserFactory.create(), [0])
    mine = invite(user, [1])
    assert phones(referral_page(user=user, size=20)) == [mine[0].phone]


@pytest.mark.parametrize("newer", [False, True])
def test_a_cursor_survives_its_round_trip_to_the_microsecond(newer):
    cursor = ReferralCursor(datetime(2026, 11, 27, 10, 1, 2, 345678, tzinfo=UTC), 42, newer)
    text = referral_cursor_encode(cursor)
    assert referral_cursor_decode(text) == cursor
    # Opaque: nothing in it reads as a time or an id.
    assert "42" not in text
    assert "2026" not in text


def _b64(payload: str) -> str:
    return urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "!!!!",
        "a b",
        "é" * 4,
        "A" * 65,
        _b64("o1"),
        _b64("x1.2"),
        _b64("o1.2.3"),
        _b64("o-1.2"),
        _b64("o" + "9" * 17 + ".1"),
        _b64("o1." + "9" * 19),
        _b64("o١.١"),
        urlsafe_b64encode(b"\xff\xfe1.2").decode(),
    ],
)
def test_text_that_no_page_gave_out_is_not_a_cursor(text):
    with pytest.raises(InvalidReferralCursor):
        referral_cursor_decode(text)


@pytest.mark.parametrize("newer", [None, False, True])
def test_every_page_is_one_limited_index_only_range(user, newer):
    referees_bulk(user, 50)
    cursor = None
    if newer is not None:
        middle = referral_page(user=user, size=30).referrals[-1]
        assert middle.referred_at is not None
        cursor = ReferralCursor(middle.referred_at, middle.pk, newer)
    with CaptureQueriesContext(connection) as queries:
        referral_page(user=user, size=20, cursor=cursor)
    assert len(queries) == 1
    plan = ordered_plan(queries[0]["sql"])
    assert plan.splitlines()[0].startswith("Limit")
    assert "Index Only Scan" in plan
    assert "user_referrals_newest" in plan
    assert "Sort" not in plan


def _referrals_with_ties(referrer: User, count: int) -> None:
    """`count` referrals of `referrer`, four to each activation time, so only ids order them."""
    User.objects.bulk_create(
        User(
            phone=f"+7926{n:07d}",
            invite_code=f"T{n:05d}".translate(str.maketrans("01", "AB")),
            referred_by=referrer,
            referred_at=START + timedelta(minutes=n // 4),
        )
        for n in range(count)
    )
    User.objects.filter(pk=referrer.pk).update(referrals_count=count)


def _web_page(client, link: str) -> tuple[list[str], str | None, str | None]:
    """The phones of a profile page, and its "Older" and "Newer" links."""
    text = client.get("/profile/" + link).content.decode()

    def pager(rel: str) -> str | None:
        found = re.search(rf'<a href="([^"]*)#referrals" rel="{rel}">', text)
        return found.group(1) if found else None

    return re.findall(r'<li><span class="mono">(\+\d+)</span>', text), pager("next"), pager("prev")


def _api_page(api_client, link: str) -> tuple[list[str], str | None, str | None]:
    body = api_client.get(link).json()
    return [item["phone"] for item in body["results"]], body["next"], body["previous"]


def _walk(read_page, link: str | None, *, older: bool) -> tuple[list[list[str]], str | None]:
    """The pages from `link` on, following "older" links or "newer" ones, and the last page's
    link the other way."""
    pages = []
    while link is not None:
        phones, older_link, newer_link = read_page(link)
        pages.append(phones)
        link, back = (older_link, newer_link) if older else (newer_link, older_link)
    return pages, back


def test_the_web_page_and_the_api_page_through_the_same_sequence(auth_client, client):
    referrer = auth_client.user
    _referrals_with_ties(referrer, 47)
    client.force_login(referrer)
    web = partial(_web_page, client)
    api = partial(_api_page, auth_client)

    web_older, web_back = _walk(web, "", older=True)
    api_older, api_back = _walk(api, "/api/v1/profile/referrals/", older=True)
    assert web_older == api_older
    assert [len(page) for page in api_older] == [20, 20, 7]
    every_phone = [phone for page in api_older for phone in page]
    assert every_phone == list(referral_list(user=referrer).values_list("phone", flat=True))

    web_newer, _ = _walk(web, web_back, older=False)
    api_newer, _ = _walk(api, api_back, older=False)
    assert web_newer == api_newer == api_older[1::-1]
