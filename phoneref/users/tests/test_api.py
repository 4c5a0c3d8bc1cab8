"""Profile, activation and referral endpoints over HTTP."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from phoneref.sms import backends as sms
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory, referees_bulk

PROFILE_URL = "/api/v1/profile/"
ACTIVATE_URL = "/api/v1/profile/activate-invite/"
REFERRALS_URL = "/api/v1/profile/referrals/"

pytestmark = pytest.mark.django_db


def activate(client, code):
    return client.post(ACTIVATE_URL, {"invite_code": code}, format="json")


def invite(referrer: User, count: int) -> list[User]:
    users = [UserFactory.create() for _ in range(count)]
    for user in users:
        invite_code_activate(user=user, invite_code=referrer.invite_code)
    return users


def profile_json(user: User, *, activated: str | None, referrals: list[str]) -> dict:
    """The profile API's JSON of `user`, written out field by field."""
    return {
        "phone": user.phone,
        "invite_code": user.invite_code,
        "invite_link": f"http://testserver/i/{user.invite_code}/",
        "activated_invite_code": activated,
        "referrals": referrals,
        "referrals_count": len(referrals),
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
    }


def test_the_profile_has_every_field(auth_client):
    user = auth_client.user
    body = auth_client.get(PROFILE_URL).json()
    assert body == profile_json(user, activated=None, referrals=[])


def test_the_profile_shows_the_activated_code_and_the_referrals(auth_client):
    user = auth_client.user
    referrer = UserFactory.create()
    invite_code_activate(user=user, invite_code=referrer.invite_code)
    referees = invite(user, 2)
    body = auth_client.get(PROFILE_URL).json()
    assert body == profile_json(
        user, activated=referrer.invite_code, referrals=[u.phone for u in reversed(referees)]
    )


def test_activation_returns_the_updated_profile(auth_client):
    referrer = UserFactory.create()
    response = activate(
        auth_client, f" {referrer.invite_code.lower()[:3]}-{referrer.invite_code[3:]}"
    )
    assert response.status_code == 200
    profile = profile_json(auth_client.user, activated=referrer.invite_code, referrals=[])
    assert response.json() == profile
    assert auth_client.get(PROFILE_URL).json() == profile


def test_the_referrer_sees_the_referee_phone_newest_first(auth_client):
    referees = invite(auth_client.user, 3)
    body = auth_client.get(PROFILE_URL).json()
    assert body["referrals"] == [u.phone for u in reversed(referees)]
    assert body["referrals_count"] == 3


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        ("ZZZZZZ", 400, "invite_code_not_found"),
        ("abc", 400, "invalid_invite_code"),
    ],
)
def test_activation_errors_are_problems(auth_client, code, status, problem):
    UserFactory.create()
    response = activate(auth_client, code)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == problem
    assert list(body["errors"]) == ["invite_code"]


def test_own_code_is_a_problem(auth_client):
    assert (
        activate(auth_client, auth_client.user.invite_code).json()["code"] == "invite_code_is_own"
    )


def test_a_second_activation_is_a_409(auth_client):
    activate(auth_client, UserFactory.create().invite_code)
    response = activate(auth_client, UserFactory.create().invite_code)
    assert response.status_code == 409
    assert response.json()["code"] == "invite_code_already_activated"


def test_a_cycle_is_a_409(auth_client):
    referee = invite(auth_client.user, 1)[0]
    response = activate(auth_client, referee.invite_code)
    assert response.status_code == 409
    assert response.json()["code"] == "referral_cycle"


def test_too_many_failed_activations_is_a_429_with_retry_after(auth_client, settings):
    settings.INVITE_FAILURES_PER_HOUR = 2
    activate(auth_client, "ZZZZZZ")
    activate(auth_client, "ZZZZZZ")
    response = activate(auth_client, UserFactory.create().invite_code)
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_requests"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"invite_code": None},
        {"invite_code": ""},
        {"invite_code": 123456},
        {"invite_code": ["ABCDEF"]},
        {"invite_code": {"a": 1}},
        {"invite_code": "ABCDEFG"},
        {"invite_code": "AB$DEF"},
        {"invite_code": "ÀБВГДЕ"},
        {"invite_code": "A" * 100_000},
        {"invite_code": "AB\x00DEF"},
        [],
    ],
)
def test_bad_activation_input_is_a_4xx_problem(auth_client, body):
    response = auth_client.post(ACTIVATE_URL, body, format="json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] in {"invalid_input", "invalid_invite_code"}


def test_the_profile_needs_a_token(api_client):
    for response in (
        api_client.get(PROFILE_URL),
        api_client.get(REFERRALS_URL),
        activate(api_client, "ABCDEF"),
    ):
        assert response.status_code == 401


def test_verify_with_an_invite_code_activates_it(api_client):
    referrer = UserFactory.create()
    api_client.post("/api/v1/auth/request-code/", {"phone": "+79160000001"}, format="json")
    body = api_client.post(
        "/api/v1/auth/verify-code/",
        {"phone": "+79160000001", "code": sms.outbox[-1].code, "invite_code": referrer.invite_code},
        format="json",
    ).json()
    user = User.objects.get(phone="+79160000001")
    assert body["profile"] == profile_json(user, activated=referrer.invite_code, referrals=[])
    assert "invite_error" not in body


def test_a_bad_invite_code_at_verify_still_logs_in_and_reports_the_error(api_client):
    api_client.post("/api/v1/auth/request-code/", {"phone": "+79160000001"}, format="json")
    response = api_client.post(
        "/api/v1/auth/verify-code/",
        {"phone": "+79160000001", "code": sms.outbox[-1].code, "invite_code": "ZZZZZZ"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token"]
    assert body["invite_error"]["code"] == "invite_code_not_found"
    assert body["profile"]["activated_invite_code"] is None


def test_referral_pages_walk_every_referee_once_newest_first(auth_client):
    referees = invite(auth_client.user, 7)
    seen, url = [], f"{REFERRALS_URL}?page_size=3"
    while url:
        page = auth_client.get(url).json()
        assert page["count"] == 7
        assert len(page["results"]) <= 3
        seen += [item["phone"] for item in page["results"]]
        url = page["next"]
    assert seen == [u.phone for u in reversed(referees)]


def test_a_referral_item_has_phone_and_activation_time(auth_client):
    referee = invite(auth_client.user, 1)[0]
    referee.refresh_from_db()
    assert referee.referred_at is not None
    item = auth_client.get(REFERRALS_URL).json()["results"][0]
    assert item == {
        "phone": referee.phone,
        "activated_at": referee.referred_at.isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.parametrize(
    "query",
    [
        "page_size=0",
        "page_size=101",
        "page_size=abc",
        "page_size=-1",
        "cursor=garbage",
        "cursor=" + "x" * 600,
    ],
)
def test_bad_paging_parameters_are_400_problems(auth_client, query):
    response = auth_client.get(f"{REFERRALS_URL}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Not a valid cursor: follow the next or previous link of a page."),
        ("ru", "Недопустимый курсор: переходите по ссылкам next и previous страницы."),
    ],
)
def test_a_cursor_that_is_not_ours_gets_our_own_message(auth_client, language, message):
    response = auth_client.get(f"{REFERRALS_URL}?cursor=garbage", HTTP_ACCEPT_LANGUAGE=language)
    assert response.json()["errors"] == {"cursor": [message]}


def test_the_profile_shows_at_most_a_hundred_recent_referrals(auth_client):
    referees_bulk(auth_client.user, 150)
    body = auth_client.get(PROFILE_URL).json()
    assert len(body["referrals"]) == 100
    assert body["referrals_count"] == 150


@pytest.mark.parametrize("activated", [False, True])
@pytest.mark.parametrize("referrals", [0, 1, 150])
def test_the_profile_costs_the_same_queries_whatever_the_referral_count(
    auth_client, referrals, activated
):
    referees_bulk(auth_client.user, referrals)
    if activated:
        invite_code_activate(user=auth_client.user, invite_code=UserFactory.create().invite_code)
    with CaptureQueriesContext(connection) as queries:
        assert auth_client.get(PROFILE_URL).status_code == 200
    # The token with its user, the newest referrals, and the activated code when there is one
    # (no COUNT: the count is stored).
    statements = [q["sql"] for q in queries]
    assert len(statements) == (3 if activated else 2), statements
    assert '"knox_authtoken"' in statements[0]
    assert not any('"knox_authtoken"' in sql for sql in statements[1:])
    assert not any("COUNT(" in sql.upper() for sql in statements)


@pytest.mark.parametrize("referrals", [0, 1, 150])
def test_the_first_referrals_page_costs_the_same_queries_whatever_the_count(auth_client, referrals):
    referees_bulk(auth_client.user, referrals)
    with CaptureQueriesContext(connection) as queries:
        assert auth_client.get(REFERRALS_URL).status_code == 200
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert not any("COUNT(" in q["sql"].upper() for q in queries)


def test_a_long_bad_invite_code_at_verify_still_logs_in(api_client):
    api_client.post("/api/v1/auth/request-code/", {"phone": "+79160000001"}, format="json")
    response = api_client.post(
        "/api/v1/auth/verify-code/",
        {"phone": "+79160000001", "code": sms.outbox[-1].code, "invite_code": "Z" * 40},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["invite_error"]["code"] == "invalid_invite_code"


def test_a_long_invite_code_is_an_invalid_invite_code(auth_client):
    assert activate(auth_client, "Z" * 40).json()["code"] == "invalid_invite_code"
