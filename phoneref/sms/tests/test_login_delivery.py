"""A login code through the API and the pages to the providers' fakes, and what happens to the
phone when no provider takes it: as if the request had not been made."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from phoneref.auth.models import ClientAddress, PhoneLogin
from phoneref.auth.services import login_code_request, login_code_request_undo
from phoneref.core.errors import problems
from phoneref.sms.models import Delivery

REQUEST_URL = "/api/v1/auth/request-code/"
VERIFY_URL = "/api/v1/auth/verify-code/"
PHONE = "+79161234567"

pytestmark = pytest.mark.django_db


def request_code(client, phone=PHONE, **headers):
    return client.post(REQUEST_URL, {"phone": phone}, format="json", **headers)


def verify(client, code, phone=PHONE):
    return client.post(VERIFY_URL, {"phone": phone, "code": code}, format="json")


def code_in(fake) -> str:
    text = fake.requests[-1].field("msg") or fake.requests[-1].field("Body")
    code = re.search(r"#(\d+)$", text)
    assert code is not None, text
    return code.group(1)


def providers_down(smsru, twilio) -> None:
    smsru.default = "503"
    twilio.default = "reset"


def login_state(phone=PHONE):
    return PhoneLogin.objects.filter(phone=phone).values(
        "code_digest", "code_sent_at", "code_expires_at", "code_failed_attempts", "send_log"
    )[0]


def test_the_code_goes_to_the_first_provider_in_the_request_language(api_client, providers):
    smsru, twilio = providers
    response = request_code(api_client, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    text = smsru.requests[-1].field("msg")
    assert text.startswith("Код входа: ")
    assert text.endswith(f"\n@testserver #{code_in(smsru)}")
    assert twilio.requests == []
    assert verify(api_client, code_in(smsru)).status_code == 200


def test_the_code_fails_over_to_the_second_provider(api_client, providers):
    smsru, twilio = providers
    smsru.default = "refused"
    assert request_code(api_client).status_code == 200
    assert twilio.requests[-1].field("Body").startswith("Your login code: ")
    assert verify(api_client, code_in(twilio)).status_code == 200


def test_no_provider_answers_503_with_retry_after_and_the_earlier_code_still_works(
    api_client, providers, clock
):
    smsru, twilio = providers
    assert request_code(api_client).status_code == 200
    earlier_code = code_in(smsru)
    wrong = "0000" if earlier_code != "0000" else "1111"
    assert verify(api_client, wrong).json()["code"] == "invalid_code"
    assert login_state()["code_failed_attempts"] == 1
    before = login_state()
    address_before = ClientAddress.objects.get().send_log
    clock.shift(timedelta(seconds=61))
    providers_down(smsru, twilio)

    response = request_code(api_client)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "sms_unavailable"
    assert int(response["Retry-After"]) >= 1
    assert login_state() == before
    assert ClientAddress.objects.get().send_log == address_before
    # The earlier code goes on with the tries it had left, then logs in.
    verify(api_client, wrong)
    assert login_state()["code_failed_attempts"] == 2
    assert verify(api_client, earlier_code).status_code == 200


def test_a_send_no_provider_took_counts_against_no_limit(api_client, providers, settings, clock):
    smsru, twilio = providers
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    settings.OTP_SENDS_PER_HOUR = 2
    settings.OTP_IP_SENDS_PER_HOUR = 2
    settings.SMS_BREAKER_FAILURES = 100
    assert request_code(api_client).status_code == 200
    providers_down(smsru, twilio)
    for _ in range(3):
        clock.shift(timedelta(seconds=1))
        assert request_code(api_client).status_code == 503
    smsru.default = "ok"
    clock.shift(timedelta(seconds=1))
    assert request_code(api_client).status_code == 200
    # Two sent: both the phone's and the address's hourly limits are reached now.
    clock.shift(timedelta(seconds=1))
    assert request_code(api_client).status_code == 429
    assert request_code(api_client, phone="+79161234568").status_code == 429


def test_a_send_no_provider_took_gives_back_the_all_sends_budget(
    api_client, providers, settings, clock
):
    smsru, twilio = providers
    settings.OTP_SENDS_PER_HOUR_TOTAL = 2
    settings.SMS_BREAKER_FAILURES = 100
    assert request_code(api_client, phone="+79161234501").status_code == 200
    providers_down(smsru, twilio)
    for n in range(3):
        assert request_code(api_client, phone=f"+7916123451{n}").status_code == 503
    smsru.default = "ok"
    assert request_code(api_client, phone="+79161234520").status_code == 200
    assert request_code(api_client, phone="+79161234521").status_code == 429


def test_a_first_request_no_provider_took_leaves_no_live_code(api_client, providers):
    providers_down(*providers)
    assert request_code(api_client).status_code == 503
    assert not login_state()["code_digest"]
    assert verify(api_client, "1234").json()["code"] == "invalid_code"
    providers[0].default = "ok"
    assert request_code(api_client).status_code == 200


def test_the_take_back_leaves_a_newer_code_alone(api_client, providers, clock):
    """Only the request that failed is taken back: a code sent since then stays."""
    failed = login_code_request(phone=PHONE, client_ip="10.0.0.1")
    clock.shift(timedelta(seconds=61))
    newer = login_code_request(phone=PHONE, client_ip="10.0.0.1")
    assert login_code_request_undo(request=failed) is False
    assert verify(api_client, newer.code).status_code == 200


def test_every_attempt_is_recorded_without_the_code_or_the_text(api_client, providers):
    smsru, twilio = providers
    smsru.default = "refused"
    request_code(api_client)
    code = code_in(twilio)
    rows = list(Delivery.objects.order_by("id").values())
    assert [(r["backend"], r["status"], r["error_code"]) for r in rows] == [
        ("smsru", "failed", "smsru_207"),
        ("twilio", "queued", ""),
    ]
    for row in rows:
        assert row["phone"] == PHONE
        assert all(code not in str(value) for key, value in row.items() if key != "id")


def test_the_login_page_says_the_sms_could_not_be_sent_and_keeps_the_form(providers):
    providers_down(*providers)
    client = Client()
    response = client.post("/login/", {"phone": PHONE})
    assert response.status_code == 200
    assert str(problems.SMS_UNAVAILABLE.title) in response.content.decode()
    assert not PhoneLogin.objects.get(phone=PHONE).code_digest
