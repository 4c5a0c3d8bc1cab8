"""Answers that carry a token, a code or personal data are kept by no cache."""

import pytest

from phoneref.sms import backends as sms

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"


def assert_not_stored(response) -> None:
    assert "no-store" in response["Cache-Control"], response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_login_answers_are_not_stored(api_client):
    sent = api_client.post("/api/v1/auth/request-code/", {"phone": PHONE}, format="json")
    assert_not_stored(sent)
    login = api_client.post(
        "/api/v1/auth/verify-code/", {"phone": PHONE, "code": sms.outbox[-1].code}, format="json"
    )
    assert login.status_code == 200
    assert_not_stored(login)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/v1/profile/", None),
        ("get", "/api/v1/profile/referrals/", None),
        ("post", "/api/v1/profile/activate-invite/", {"invite_code": "ZZZZZZ"}),
    ],
)
def test_profile_answers_are_not_stored(auth_client, method, url, body):
    response = getattr(auth_client, method)(url, body, format="json")
    assert_not_stored(response)


def test_a_refusal_is_not_stored_either(api_client):
    assert_not_stored(api_client.get("/api/v1/profile/"))
