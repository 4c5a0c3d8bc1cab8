"""The profile and referral-link pages through Django's test client."""

import re
from base64 import urlsafe_b64encode
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from phoneref.core.tests.pages import field_error, page_text
from phoneref.sms import backends as sms
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate, invite_code_refusal
from phoneref.users.tests.factories import UserFactory, referral_chain

pytestmark = pytest.mark.django_db

PROFILE_URL = "/profile/"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def invite_referrals(referrer: User, count: int) -> list[User]:
    """`count` users who activated `referrer`'s code a minute apart, oldest first."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    referrals = []
    for minute in range(count):
        referral = UserFactory.create()
        invite_code_activate(
            user=referral,
            invite_code=referrer.invite_code,
            now=start + timedelta(minutes=minute),
        )
        referrals.append(referral)
    return referrals


def listed_phones(response) -> list[str]:
    return re.findall(r'<li><span class="mono">(\+\d+)</span>', page_text(response))


def pager_link(response, rel: str) -> str | None:
    link = re.search(rf'<a href="([^"]*)#referrals" rel="{rel}">', page_text(response))
    return link.group(1) if link else None


def pager_href(response, rel: str) -> str:
    """The pager link the page must have."""
    link = pager_link(response, rel)
    assert link is not None, f"no {rel} link"
    return link


# Home


def test_home_sends_a_visitor_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_home_sends_a_signed_in_user_to_the_profile(signed_in):
    assert signed_in.get("/")["Location"] == PROFILE_URL


def test_an_unknown_page_is_a_404_page_not_an_error(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Nothing is here." in page_text(response)


# Profile


def test_the_profile_needs_a_signed_in_user(client):
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/profile/"


def test_the_profile_shows_the_phone_code_link_and_qr_code(signed_in, user):
    response = signed_in.get(PROFILE_URL)
    page = page_text(response)
    assert "no-store" in response["Cache-Control"]
    assert f'id="profile-phone">{user.phone}<' in page
    assert f'<span class="invite-code" id="own-code">{user.invite_code}</span>' in page
    assert f'value="http://testserver/i/{user.invite_code}/"' in page
    assert re.search(r"<svg [^>]*viewBox=.*<title>QR code of your invite link</title>", page)
    assert "0 people in total" in page
    assert "Nobody yet." in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "This field is required."),
        ("K7M2Q", "An invite code is 6 letters and digits, never 0, O, 1, I or L."),
        ("😀😀😀😀😀😀", "An invite code is 6 letters and digits, never 0, O, 1, I or L."),
        ("'; DROP TABLE", "An invite code is 6 letters and digits, never 0, O, 1, I or L."),
        ("ZZZZZZ", "There is no user with this invite code."),
        ("K" * 5000, "Ensure this value has at most 32 characters (it has 5000)."),
    ],
)
def test_a_bad_invite_code_is_refused_beside_the_field(signed_in, user, typed, message):
    response = signed_in.post(PROFILE_URL, {"invite_code": typed})
    assert response.status_code == 200
    assert field_error(response, "invite_code") == message
    user.refresh_from_db()
    assert user.referred_by is None


def test_ones_own_invite_code_is_refused(signed_in, user):
    response = signed_in.post(PROFILE_URL, {"invite_code": user.invite_code})
    assert field_error(response, "invite_code") == (
        "This is your own invite code; enter someone else's."
    )


def test_a_second_activation_is_refused_beside_the_field(signed_in, user):
    first, second = UserFactory.create(), UserFactory.create()
    invite_code_activate(user=user, invite_code=first.invite_code)
    response = signed_in.post(PROFILE_URL, {"invite_code": second.invite_code})
    assert field_error(response, "invite_code") == "You have already activated an invite code."
    assert f'id="activated-code">{first.invite_code}<' in page_text(response)


def test_a_code_that_would_close_a_cycle_is_refused(client):
    root, _, leaf = referral_chain(3)
    client.force_login(root)
    response = client.post(PROFILE_URL, {"invite_code": leaf.invite_code})
    assert field_error(response, "invite_code") == (
        "This user was invited by you, directly or through others."
    )


def test_failed_activations_are_limited_beside_the_field(signed_in, settings):
    settings.INVITE_FAILURES_PER_HOUR = 2
    for _ in range(2):
        signed_in.post(PROFILE_URL, {"invite_code": "ZZZZZZ"})
    response = signed_in.post(PROFILE_URL, {"invite_code": "ZZZZZZ"})
    assert field_error(response, "invite_code") == (
        "Too many requests. Try again later. Wait 1 hour."
    )


def test_activation_errors_in_russian(signed_in):
    response = signed_in.post(PROFILE_URL, {"invite_code": "ZZZZZZ"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Ваш профиль" in page_text(response)
    assert field_error(response, "invite_code") == "Пользователя с таким инвайт-кодом нет."


def test_an_invite_code_typed_loosely_is_activated(signed_in, user):
    referrer = UserFactory.create()
    typed = f" {referrer.invite_code[:3].lower()} - {referrer.invite_code[3:]} "
    response = signed_in.post(PROFILE_URL, {"invite_code": typed}, follow=True)
    page = page_text(response)
    assert f"Invite code {referrer.invite_code} activated." in page
    assert f'id="activated-code">{referrer.invite_code}<' in page
    assert 'name="invite_code"' not in page
    referrer.refresh_from_db()
    assert referrer.referrals_count == 1


def test_the_referrer_sees_the_referral_newest_first_with_the_total(client):
    referrer = UserFactory.create()
    referrals = invite_referrals(referrer, 3)
    client.force_login(referrer)
    response = client.get(PROFILE_URL)
    assert listed_phones(response) == [r.phone for r in reversed(referrals)]
    assert "3 people in total" in page_text(response)
    assert pager_link(response, "next") is None
    assert pager_link(response, "prev") is None


def test_referrals_are_paged_older_and_back_newer(client):
    referrer = UserFactory.create()
    newest_first = [r.phone for r in reversed(invite_referrals(referrer, 25))]
    client.force_login(referrer)
    first = client.get(PROFILE_URL)
    assert listed_phones(first) == newest_first[:20]
    assert "25 people in total" in page_text(first)
    older = client.get(PROFILE_URL + pager_href(first, "next"))
    assert listed_phones(older) == newest_first[20:]
    assert pager_link(older, "next") is None
    newer = client.get(PROFILE_URL + pager_href(older, "prev"))
    assert listed_phones(newer) == newest_first[:20]


def test_a_deep_page_neither_counts_nor_skips_rows(client):
    referrer = UserFactory.create()
    invite_referrals(referrer, 25)
    client.force_login(referrer)
    older_link = pager_href(client.get(PROFILE_URL), "next")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PROFILE_URL + older_link)
    assert response.status_code == 200
    sql = " ".join(query["sql"].upper() for query in queries.captured_queries)
    assert "COUNT(" not in sql
    assert "OFFSET" not in sql


@pytest.mark.parametrize(
    "query",
    [
        "?cursor=",
        "?cursor=abc",
        "?cursor=" + urlsafe_b64encode(b"o99999999999999999.1").decode(),
        "?cursor=" + urlsafe_b64encode(b"n1.99999999999999999999").decode(),
        "?cursor=%F0%9F%98%80",
        "?cursor=" + "9" * 5000,
        # A link from before cursors were opaque.
        "?older=1-1",
    ],
)
def test_a_mangled_page_link_shows_the_newest_page_not_an_error(client, query):
    referrer = UserFactory.create()
    oldest, newest = invite_referrals(referrer, 2)
    client.force_login(referrer)
    response = client.get(PROFILE_URL + query)
    assert response.status_code == 200
    page = response.context["page"]
    assert [referral.phone for referral in page.referrals] == [newest.phone, oldest.phone]
    assert page.older_cursor is None


# The referral landing page


def test_a_referral_link_remembers_the_code_and_offers_sign_up(client):
    referrer = UserFactory.create()
    typed = referrer.invite_code.lower()
    response = client.get(f"/i/{typed}/")
    assert response.status_code == 200
    page = page_text(response)
    assert f'id="landing-code">{referrer.invite_code}<' in page
    assert 'action="/login/"' in page
    assert client.session["invite_code"] == referrer.invite_code
    login_page = page_text(client.get("/login/"))
    assert f'You were invited with the code <strong class="mono">{referrer.invite_code}' in (
        login_page
    )


def test_a_referral_link_carries_through_sign_up_to_the_referrers_list(client):
    referrer = UserFactory.create()
    client.get(f"/i/{referrer.invite_code}/")
    client.post("/login/", {"phone": "+79161234567"})
    verify_page = page_text(client.get("/login/verify/"))
    assert f'name="invite_code" value="{referrer.invite_code}"' in verify_page
    response = client.post(
        "/login/verify/",
        {"code": sms.outbox[-1].code, "invite_code": referrer.invite_code},
        follow=True,
    )
    assert f"Invite code {referrer.invite_code} activated." in page_text(response)
    assert "invite_code" not in client.session
    client.force_login(referrer)
    assert listed_phones(client.get(PROFILE_URL)) == ["+79161234567"]


@pytest.mark.parametrize(
    "path",
    ["/i/abc/", "/i/0OIL10/", "/i/%F0%9F%98%80/", "/i/%00/", "/i/" + "K" * 3000 + "/"],
)
def test_a_broken_referral_link_says_so_and_remembers_nothing(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "This invite link does not work" in page_text(response)
    assert "invite_code" not in client.session


def test_a_referral_link_offers_a_signed_in_user_the_activation(signed_in):
    referrer = UserFactory.create()
    response = signed_in.get(f"/i/{referrer.invite_code}/")
    page = page_text(response)
    assert f'name="invite_code" value="{referrer.invite_code}"' in page
    assert 'action="/profile/"' in page
    profile = page_text(signed_in.get(PROFILE_URL))
    assert f'name="invite_code" value="{referrer.invite_code}"' in profile


def test_ones_own_referral_link_says_it_is_ones_own(signed_in, user):
    response = signed_in.get(f"/i/{user.invite_code}/")
    assert "This is your own invite link." in page_text(response)
    assert "invite_code" not in signed_in.session


def test_a_referral_link_tells_who_already_activated_a_code(signed_in, user):
    first, second = UserFactory.create(), UserFactory.create()
    invite_code_activate(user=user, invite_code=first.invite_code)
    response = signed_in.get(f"/i/{second.invite_code}/")
    assert (
        f'You have already activated the invite code <strong class="mono">{first.invite_code}'
        in (page_text(response))
    )


@pytest.mark.parametrize(
    ("case", "landing_says"),
    [
        ("own", "This is your own invite link."),
        ("already activated", "You have already activated the invite code"),
    ],
)
def test_a_referral_link_refuses_as_the_activation_does(signed_in, user, case, landing_says):
    if case == "own":
        code = user.invite_code
    else:
        invite_code_activate(user=user, invite_code=UserFactory.create().invite_code)
        code = UserFactory.create().invite_code
    expected = invite_code_refusal(user=User.objects.get(pk=user.pk), invite_code=code)
    assert expected is not None
    landing = signed_in.get(f"/i/{code}/")
    assert landing.context["refusal"].code == expected.code
    assert landing_says in page_text(landing)
    assert 'name="invite_code"' not in page_text(landing)
    posted = signed_in.post(PROFILE_URL, {"invite_code": code})
    assert field_error(posted, "invite_code") == str(expected.message)


@pytest.mark.parametrize("case", ["unknown", "cycle"])
def test_a_referral_link_tells_nothing_about_other_users_codes(signed_in, user, case):
    """Whether a code exists is told only by an activation, which counts towards the limit."""
    if case == "unknown":
        code, message = "ZZZZZZ", "There is no user with this invite code."
    else:
        invite_code_activate(user=UserFactory.create(), invite_code=user.invite_code)
        code = User.objects.get(referred_by=user).invite_code
        message = "This user was invited by you, directly or through others."
    landing = signed_in.get(f"/i/{code}/")
    assert f'name="invite_code" value="{code}"' in page_text(landing)
    assert User.objects.get(pk=user.pk).invite_failure_log == []
    posted = signed_in.post(PROFILE_URL, {"invite_code": code})
    assert field_error(posted, "invite_code") == message
    assert len(User.objects.get(pk=user.pk).invite_failure_log) == 1


@pytest.mark.parametrize(
    ("language", "joined", "referred"),
    [
        ("en", "Jan. 1, 2026", "Jan. 1, 2026, midnight"),
        ("ru", "1 января 2026 г.", "1 января 2026 г. 0:00"),
    ],
)
def test_the_profile_writes_every_date_in_the_same_style(
    signed_in, user, language, joined, referred
):
    User.objects.filter(pk=user.pk).update(date_joined=datetime(2026, 1, 1, tzinfo=UTC))
    invite_referrals(user, 1)
    page = page_text(signed_in.get(PROFILE_URL, HTTP_ACCEPT_LANGUAGE=language))
    assert f">{joined}</time>" in page
    assert f">{referred}</time>" in page
