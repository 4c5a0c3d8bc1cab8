"""Providers' status callbacks: signed or secret-bearing ones move a delivery on, others are
refused with 403 and change nothing."""

import pytest
from django.test import Client

from phoneref.sms.callbacks import twilio_signature
from phoneref.sms.models import Delivery

TWILIO_URL = "/sms/callbacks/twilio/"
SMSRU_URL = "/sms/callbacks/smsru/"
TOKEN = "twilio-auth-token-for-callbacks"
PUBLIC_URL = "https://phoneref.example.com/sms/callbacks/twilio/"
SID = "SM" + "a" * 32

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_STATUS_CALLBACK_URL = PUBLIC_URL
    settings.SMSRU_CALLBACK_SECRET = "smsru-callback-secret"


def delivery(backend: str, message_id: str, status=Delivery.Status.QUEUED) -> Delivery:
    return Delivery.objects.create(
        phone="+79161234567", backend=backend, provider_message_id=message_id, status=status
    )


def twilio_callback(params: dict[str, str], signature: str | None):
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return Client().post(TWILIO_URL, params, headers=headers)


def signed(params: dict[str, str], token: str = TOKEN) -> str:
    return twilio_signature(
        url=PUBLIC_URL, params={k: [v] for k, v in params.items()}, auth_token=token
    )


def assert_refused(response) -> None:
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "permission_denied"


def test_the_signature_is_twilio_s_documented_example():
    """The example of https://www.twilio.com/docs/usage/security#validating-requests."""
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert (
        twilio_signature(
            url="https://mycompany.com/myapp.php?foo=1&bar=2",
            params={k: [v] for k, v in params.items()},
            auth_token="12345",
        )
        == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


def test_a_signed_twilio_callback_updates_the_status(configured):
    row = delivery("twilio", SID)
    params = {"MessageSid": SID, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    response = twilio_callback(params, signed(params))
    assert response.status_code == 204
    row.refresh_from_db()
    assert row.status == Delivery.Status.DELIVERED


def test_a_twilio_failure_keeps_its_error_code(configured):
    row = delivery("twilio", SID)
    params = {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    twilio_callback(params, signed(params))
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("undelivered", "twilio_30003")


@pytest.mark.parametrize(
    "signature",
    [None, "", "forged", "signed with another token", "signed for other params"],
)
def test_an_unsigned_or_forged_twilio_callback_is_refused_and_changes_nothing(
    configured, signature
):
    row = delivery("twilio", SID)
    params = {"MessageSid": SID, "MessageStatus": "failed"}
    if signature == "signed with another token":
        signature = signed(params, token="another-token")
    elif signature == "signed for other params":
        signature = signed({"MessageSid": SID, "MessageStatus": "delivered"})
    assert_refused(twilio_callback(params, signature))
    row.refresh_from_db()
    assert row.status == Delivery.Status.QUEUED


def test_twilio_callbacks_are_refused_when_no_auth_token_is_set(settings):
    settings.TWILIO_AUTH_TOKEN = ""
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    assert_refused(twilio_callback(params, signed(params, token="")))


def test_a_late_status_never_moves_a_delivery_back(configured):
    row = delivery("twilio", SID, status=Delivery.Status.DELIVERED)
    params = {"MessageSid": SID, "MessageStatus": "sent"}
    assert twilio_callback(params, signed(params)).status_code == 204
    row.refresh_from_db()
    assert row.status == Delivery.Status.DELIVERED


def smsru_callback(secret: str | None, *entries: str):
    url = SMSRU_URL if secret is None else f"{SMSRU_URL}?secret={secret}"
    return Client().post(url, {"data[]": list(entries)})


def test_an_smsru_callback_with_the_secret_updates_each_message_and_answers_100(configured):
    delivered = delivery("smsru", "000000-10000001")
    lost = delivery("smsru", "000000-10000002")
    response = smsru_callback(
        "smsru-callback-secret",
        "sms_status\n000000-10000001\n103\n1764583200",
        "sms_status\n000000-10000002\n104\n1764583201",
        "some_other_event\n1764583202",
    )
    assert response.status_code == 200
    assert response.content == b"100"
    delivered.refresh_from_db()
    lost.refresh_from_db()
    assert delivered.status == Delivery.Status.DELIVERED
    assert (lost.status, lost.error_code) == ("undelivered", "smsru_104")


@pytest.mark.parametrize("secret", [None, "", "wrong", "smsru-callback-secreT"])
def test_an_smsru_callback_without_the_secret_is_refused_and_changes_nothing(configured, secret):
    row = delivery("smsru", "000000-10000001")
    assert_refused(smsru_callback(secret, "sms_status\n000000-10000001\n103\n1764583200"))
    row.refresh_from_db()
    assert row.status == Delivery.Status.QUEUED


def test_smsru_callbacks_are_refused_when_no_secret_is_set(settings):
    settings.SMSRU_CALLBACK_SECRET = ""
    assert_refused(smsru_callback("", "sms_status\n1\n103\n1"))


def test_a_callback_for_another_provider_s_id_changes_nothing(configured):
    row = delivery("twilio", "000000-10000001")
    smsru_callback("smsru-callback-secret", "sms_status\n000000-10000001\n103\n1764583200")
    row.refresh_from_db()
    assert row.status == Delivery.Status.QUEUED
