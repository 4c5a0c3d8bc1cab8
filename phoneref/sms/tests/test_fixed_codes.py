"""Test numbers (OTP_TEST_NUMBERS): fixed codes, never sent, outside the send quotas, inside
the wrong-code limits; refused in production unless allowed on purpose."""

import pytest
from django.core import checks

from phoneref.core.testing import run_django_script
from phoneref.sms.models import Delivery

REQUEST_URL = "/api/v1/auth/request-code/"
VERIFY_URL = "/api/v1/auth/verify-code/"
TEST_NUMBER = "+79990000000"

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_numbers(settings, providers):
    settings.OTP_TEST_NUMBERS = "+79990000000:1234, 8 999 000-00-01:5678"
    return providers


def post(client, url, body):
    return client.post(url, body, format="json")


def test_a_test_number_logs_in_with_its_fixed_code_and_nothing_reaches_a_provider(
    api_client, test_numbers, sms_outbox
):
    smsru, twilio = test_numbers
    assert post(api_client, REQUEST_URL, {"phone": TEST_NUMBER}).status_code == 200
    assert smsru.requests == twilio.requests == sms_outbox == []
    response = post(api_client, VERIFY_URL, {"phone": TEST_NUMBER, "code": "1234"})
    assert response.status_code == 200
    other = post(api_client, REQUEST_URL, {"phone": "+79990000001"})
    assert other.status_code == 200
    assert (
        post(api_client, VERIFY_URL, {"phone": "+79990000001", "code": "5678"}).status_code == 200
    )


def test_each_use_is_logged_and_recorded_as_a_delivery_by_the_test_backend(
    api_client, test_numbers, caplog
):
    post(api_client, REQUEST_URL, {"phone": TEST_NUMBER})
    (delivery,) = Delivery.objects.all()
    assert (delivery.phone, delivery.backend, delivery.status) == (TEST_NUMBER, "test", "sent")
    assert f"test number {TEST_NUMBER}" in caplog.text
    assert "1234" not in caplog.text


def test_a_test_number_is_outside_the_send_quotas(api_client, test_numbers, settings):
    settings.OTP_IP_SENDS_PER_HOUR = 2
    for _ in range(12):
        response = post(api_client, REQUEST_URL, {"phone": TEST_NUMBER})
        assert response.status_code == 200
        assert response.json()["resend_in"] == 0


def test_wrong_codes_count_against_a_test_number_as_against_any(api_client, test_numbers):
    """Five wrong tries kill the fixed code like any other, until it is requested again."""
    post(api_client, REQUEST_URL, {"phone": TEST_NUMBER})
    for _ in range(5):
        response = post(api_client, VERIFY_URL, {"phone": TEST_NUMBER, "code": "9999"})
        assert response.json()["code"] == "invalid_code"
    response = post(api_client, VERIFY_URL, {"phone": TEST_NUMBER, "code": "1234"})
    assert response.json()["code"] == "invalid_code"


def test_the_phone_s_daily_wrong_code_limit_holds_across_new_requests(api_client, test_numbers):
    for _ in range(2):
        post(api_client, REQUEST_URL, {"phone": TEST_NUMBER})
        for _ in range(5):
            post(api_client, VERIFY_URL, {"phone": TEST_NUMBER, "code": "9999"})
    post(api_client, REQUEST_URL, {"phone": TEST_NUMBER})
    response = post(api_client, VERIFY_URL, {"phone": TEST_NUMBER, "code": "1234"})
    assert response.json()["code"] == "too_many_attempts"


def test_other_numbers_are_sent_as_usual(api_client, test_numbers):
    smsru, _ = test_numbers
    assert post(api_client, REQUEST_URL, {"phone": "+79161234567"}).status_code == 200
    assert len(smsru.requests) == 1


def test_without_the_setting_there_are_no_test_numbers(api_client, providers):
    smsru, _ = providers
    post(api_client, REQUEST_URL, {"phone": TEST_NUMBER})
    assert len(smsru.requests) == 1
    assert post(api_client, VERIFY_URL, {"phone": TEST_NUMBER, "code": "1234"}).status_code != 200


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("+7999:1234", "'+7999' is not a phone number"),
        ("+79990000000:12", "the code of +79990000000 must be 4 digits"),
        ("+79990000000:abcd", "the code of +79990000000 must be 4 digits"),
    ],
)
def test_a_malformed_setting_fails_the_system_check(settings, setting, message):
    settings.OTP_TEST_NUMBERS = setting
    errors = [m for m in checks.run_checks() if m.id == "sms.E001"]
    assert [e.msg for e in errors] == [f"OTP_TEST_NUMBERS: {message}"]


MANAGE = (
    "import runpy, sys; sys.argv = ['manage.py', 'check']; "
    "runpy.run_path('manage.py', run_name='__main__')"
)
REFUSAL = (
    "manage.py: OTP_TEST_NUMBERS is set with DEBUG off: set OTP_TEST_NUMBERS_IN_PRODUCTION=1 "
    "if fixed-code numbers are meant to work in production"
)


def production(**env: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "OTP_TEST_NUMBERS": "+79990000000:1234",
        **env,
    }


def test_a_production_process_refuses_to_start_with_test_numbers_in_one_line():
    result = run_django_script(MANAGE, production())
    assert result.returncode == 1
    assert result.stderr.splitlines() == [REFUSAL]


def test_a_production_process_starts_with_test_numbers_allowed_on_purpose():
    result = run_django_script(MANAGE, production(OTP_TEST_NUMBERS_IN_PRODUCTION="1"))
    assert result.returncode == 0, result.stderr


def test_a_test_number_skips_the_bot_check_that_other_numbers_need(
    api_client, test_numbers, settings
):
    settings.CAPTCHA_PROVIDER = "turnstile"
    settings.CAPTCHA_SITE_KEY = "site-key"
    settings.CAPTCHA_SECRET_KEY = "secret-key"
    assert post(api_client, REQUEST_URL, {"phone": TEST_NUMBER}).status_code == 200
    other = post(api_client, REQUEST_URL, {"phone": "+79161234567"})
    assert other.json()["code"] == "captcha_required"
