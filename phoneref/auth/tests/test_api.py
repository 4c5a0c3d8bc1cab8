"""The login endpoints over HTTP: shapes, problem responses, and hostile input."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken

from phoneref.sms import backends as sms
from phoneref.users.models import User

REQUEST_URL = "/api/v1/auth/request-code/"
VERIFY_URL = "/api/v1/auth/verify-code/"
PHONE = "+79161234567"

pytestmark = pytest.mark.django_db


def post(client, url, body, **extra):
    return client.post(url, body, format="json", **extra)


def request_code(client, phone=PHONE) -> str:
    response = post(client, REQUEST_URL, {"phone": phone})
    assert response.status_code == 200, response.content
    return sms.outbox[-1].code


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    assert body["title"]
    assert body["detail"]
    return body


def test_request_code_answers_without_the_code_outside_demo_mode(api_client):
    response = post(api_client, REQUEST_URL, {"phone": "8 916 123 45 67"})
    assert response.status_code == 200
    assert response.json() == {"phone": PHONE, "expires_in": 300, "resend_in": 60}
    assert sms.outbox[-1].phone == PHONE


def test_demo_mode_puts_the_code_in_the_answer(api_client, settings):
    settings.DEMO_MODE = True
    response = post(api_client, REQUEST_URL, {"phone": PHONE})
    assert response.json()["code"] == sms.outbox[-1].code


def test_verify_returns_a_token_and_the_profile(api_client):
    code = request_code(api_client)
    response = post(api_client, VERIFY_URL, {"phone": PHONE, "code": code})
    assert response.status_code == 200
    body = response.json()
    assert body["is_new_user"] is True
    assert len(body["token"]) == 64  # 256 random bits, hex
    assert body["profile"]["phone"] == PHONE
    assert body["profile"]["activated_invite_code"] is None
    assert "invite_error" not in body
    token = AuthToken.objects.get()
    assert body["token"] not in (token.digest, token.token_key)
    profile = api_client.get("/api/v1/profile/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert profile.status_code == 200


def test_a_wrong_code_is_a_problem_with_attempts_left(api_client):
    code = request_code(api_client)
    bad = f"{(int(code) + 1) % 10000:04d}"
    body = assert_problem(
        post(api_client, VERIFY_URL, {"phone": PHONE, "code": bad}), 400, "invalid_code"
    )
    assert body["attempts_left"] == 9
    assert body["errors"] == {"code": [body["detail"]]}


def test_too_many_requests_carries_retry_after(api_client):
    request_code(api_client)
    response = post(api_client, REQUEST_URL, {"phone": PHONE})
    assert_problem(response, 429, "too_many_requests")
    assert 0 < int(response["Retry-After"]) <= 60


def test_an_expired_code_is_a_problem(api_client):
    code = request_code(api_client)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = post(api_client, VERIFY_URL, {"phone": PHONE, "code": code})
    assert_problem(response, 400, "invalid_code")


def test_wrong_codes_from_one_client_end_in_too_many_attempts_with_retry_after(api_client):
    code = request_code(api_client)
    bad = f"{(int(code) + 1) % 10000:04d}"
    for _ in range(10):
        post(api_client, VERIFY_URL, {"phone": PHONE, "code": bad})
    response = post(api_client, VERIFY_URL, {"phone": PHONE, "code": code})
    assert_problem(response, 429, "too_many_attempts")
    assert int(response["Retry-After"]) >= 1


def test_an_invalid_phone_names_the_field(api_client):
    body = assert_problem(post(api_client, REQUEST_URL, {"phone": "123"}), 400, "invalid_phone")
    assert list(body["errors"]) == ["phone"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"phone": None},
        {"phone": ""},
        {"phone": ["+79161234567"]},
        {"phone": {"n": 1}},
        {"phone": True},
        {"phone": "9" * 10_000},
        {"phone": "+7916\x001234567"},
        {"phone": "☎️"},
        [],
        "text",
        123,
    ],
)
def test_bad_request_code_input_is_a_4xx_problem(api_client, body):
    response = post(api_client, REQUEST_URL, body)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] in {"invalid_input", "invalid_phone"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"phone": PHONE},
        {"code": "1234"},
        {"phone": PHONE, "code": None},
        {"phone": PHONE, "code": 1234.5},
        {"phone": PHONE, "code": ["1234"]},
        {"phone": PHONE, "code": "9" * 10_000},
        {"phone": PHONE, "code": "١٢٣٤"},
        {"phone": PHONE, "code": "１２３４"},
        {"phone": PHONE, "code": "12\x0034"},
        {"phone": PHONE, "code": "1234", "invite_code": ["X"]},
        {"phone": PHONE, "code": "1234", "invite_code": "A" * 10_000},
        {"phone": None, "code": "1234"},
    ],
)
def test_bad_verify_input_is_a_4xx_problem(api_client, body):
    request_code(api_client)
    response = post(api_client, VERIFY_URL, body)
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] in {"invalid_input", "invalid_phone", "invalid_code"}


@pytest.mark.parametrize("url", [REQUEST_URL, VERIFY_URL])
def test_malformed_json_is_a_400_problem(api_client, url):
    response = api_client.post(url, "{bad json", content_type="application/json")
    assert_problem(response, 400, "malformed_request")


@pytest.mark.parametrize("url", [REQUEST_URL, VERIFY_URL])
def test_a_form_body_is_a_415_problem(api_client, url):
    response = api_client.post(url, {"phone": PHONE})
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("url", [REQUEST_URL, VERIFY_URL])
def test_get_is_a_405_problem(api_client, url):
    assert_problem(api_client.get(url), 405, "method_not_allowed")


def test_an_unknown_api_url_is_a_404_problem(api_client):
    assert_problem(api_client.get("/api/v1/nothing-here/"), 404, "not_found")


def test_messages_follow_accept_language_and_codes_do_not(api_client):
    english = post(api_client, REQUEST_URL, {"phone": "1"}, HTTP_ACCEPT_LANGUAGE="en").json()
    russian = post(api_client, REQUEST_URL, {"phone": "1"}, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert english["code"] == russian["code"] == "invalid_phone"


def test_codes_never_reach_the_logs_outside_demo_mode(api_client, caplog, settings, monkeypatch):
    settings.SMS_BACKEND = "console"
    monkeypatch.setattr("phoneref.auth.services.login_code_generate", lambda: "4821")
    with caplog.at_level(logging.DEBUG):
        post(api_client, REQUEST_URL, {"phone": PHONE})
        post(api_client, VERIFY_URL, {"phone": PHONE, "code": "4821"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "login code sent to +791*****567" in logged
    assert "4821" not in logged
    assert PHONE not in logged


def test_the_console_backend_logs_the_code_in_demo_mode(api_client, caplog, settings):
    settings.SMS_BACKEND = "console"
    settings.DEMO_MODE = True
    with caplog.at_level(logging.INFO):
        code = post(api_client, REQUEST_URL, {"phone": PHONE}).json()["code"]
    assert code in "\n".join(r.getMessage() for r in caplog.records)


def test_the_code_is_not_in_logs_or_any_response_of_the_full_flow(api_client, caplog):
    with caplog.at_level(logging.DEBUG):
        first = post(api_client, REQUEST_URL, {"phone": PHONE})
        code = sms.outbox[-1].code
        bad = f"{(int(code) + 1) % 10000:04d}"
        wrong = post(api_client, VERIFY_URL, {"phone": PHONE, "code": bad})
        right = post(api_client, VERIFY_URL, {"phone": PHONE, "code": code})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged
    assert right.json()["token"] not in logged
    for response in (first, wrong):
        assert response.json().get("code") != code


@pytest.mark.parametrize("url", [REQUEST_URL, VERIFY_URL])
def test_json_nested_too_deep_to_decode_is_a_400_problem(api_client, url):
    response = api_client.post(url, "[" * 5000, content_type="application/json")
    assert_problem(response, 400, "malformed_request")


def test_a_disabled_account_gets_no_token(api_client):
    post(api_client, VERIFY_URL, {"phone": PHONE, "code": request_code(api_client)})
    User.objects.filter(phone=PHONE).update(is_active=False)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        code = request_code(api_client)
        response = post(api_client, VERIFY_URL, {"phone": PHONE, "code": code})
    body = assert_problem(response, 403, "account_disabled")
    assert "token" not in body
