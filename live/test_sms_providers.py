"""The production profile with SMS_BACKEND=smsru,twilio pointed at local fakes of both APIs:
the code arrives at the first, fails over to the second, both down is 503, then recovery."""

import re
import subprocess
import time

import pytest

from live.conftest import ROOT, production_env
from phoneref.sms.tests.fakes import FakeSmsRu, FakeTwilio, provider_settings

RECOVERY_TIMEOUT = 30


@pytest.fixture(scope="module")
def fakes():
    smsru, twilio = FakeSmsRu(), FakeTwilio()
    yield smsru, twilio
    smsru.stop()
    twilio.stop()


@pytest.fixture(scope="module")
def server(start_server, fakes):
    return start_server(
        SMS_BACKEND="smsru,twilio",
        SMS_TIMEOUT_SECONDS="2",
        SMS_BREAKER_FAILURES="2",
        SMS_BREAKER_SECONDS="2",
        **provider_settings(*fakes),
    )


@pytest.fixture(autouse=True)
def providers_up(fakes):
    for fake in fakes:
        fake.reset()
    return fakes


def request_code(server, phone: str):
    with server.client() as client:
        return client.post(
            "/api/v1/auth/request-code/", json={"phone": phone}, headers={"Accept-Language": "ru"}
        )


def logs_in(server, phone: str, text: str) -> bool:
    code = re.search(r"\n@127\.0\.0\.1 #(\d+)$", text).group(1)
    with server.client() as client:
        response = client.post("/api/v1/auth/verify-code/", json={"phone": phone, "code": code})
    return response.status_code == 200 and "token" in response.json()


def test_the_code_arrives_at_the_first_provider(server, providers_up):
    smsru, twilio = providers_up
    response = request_code(server, "+79161110001")
    assert response.status_code == 200, response.text
    assert "code" not in response.json()
    assert twilio.requests == []
    (sent,) = smsru.requests
    assert sent.field("to") == "79161110001"
    assert sent.field("msg").startswith("Код входа: ")
    assert logs_in(server, "+79161110001", sent.field("msg"))


def test_a_failing_first_provider_fails_over_to_the_second(server, providers_up):
    smsru, twilio = providers_up
    smsru.default = "503"
    response = request_code(server, "+79161110002")
    assert response.status_code == 200, response.text
    assert len(smsru.requests) == 2
    (sent,) = twilio.requests
    assert sent.field("To") == "+79161110002"
    assert logs_in(server, "+79161110002", sent.field("Body"))


def test_both_down_is_503_sms_unavailable_then_recovery(server, providers_up):
    smsru, twilio = providers_up
    smsru.default = "503"
    twilio.default = "hang"
    response = request_code(server, "+79161110003")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "sms_unavailable"
    assert int(response.headers["retry-after"]) >= 1

    smsru.reset()
    twilio.reset()
    # Both breakers may be open for a little while; they let a send through once it passes.
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while (response := request_code(server, "+79161110003")).status_code == 503:
        assert time.monotonic() < deadline, "no recovery after the providers came back"
        time.sleep(0.5)
    # The failed requests counted against no limit: the first that went through is a 200.
    assert response.status_code == 200, response.text
    # Both answer success now, so the only message either got is the one that went out.
    (sent,) = smsru.requests + twilio.requests
    assert logs_in(server, "+79161110003", sent.field("msg") or sent.field("Body"))


def test_no_provider_credential_or_message_text_reaches_the_server_log(server, providers_up):
    text = server.output()
    for secret in provider_settings(*providers_up).values():
        if not secret.startswith("http") and not secret.startswith("+"):
            assert secret not in text
    assert "Код входа" not in text


def test_start_with_test_numbers_and_debug_off_refuses_in_one_line():
    result = subprocess.run(
        [str(ROOT / "scripts" / "start")],
        cwd=ROOT,
        # Port 0: should it get as far as listening, it takes no port another server uses.
        env=production_env(OTP_TEST_NUMBERS="+79990000000:1234", HOST="127.0.0.1", PORT="0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "manage.py: OTP_TEST_NUMBERS is set with DEBUG off: set "
        "OTP_TEST_NUMBERS_IN_PRODUCTION=1 if fixed-code numbers are meant to work in production"
    ]
