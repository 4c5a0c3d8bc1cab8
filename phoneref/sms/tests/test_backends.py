"""Each provider backend against a local fake of its documented HTTP API."""

import asyncio
import base64

import pytest

from phoneref.sms.backends import SmsError, SmsMessage, SmsRuBackend, TwilioBackend
from phoneref.sms.tests.fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN

MESSAGE = SmsMessage(
    phone="+79161234567",
    code="4821",
    text="Your login code: 4821. Valid for 5 minutes.\n@example.com #4821",
)


def send(backend) -> str:
    return asyncio.run(backend.send(MESSAGE))


def refusal(backend) -> SmsError:
    with pytest.raises(SmsError) as caught:
        send(backend)
    return caught.value


# SMS.ru


def test_smsru_posts_the_documented_form(providers, settings):
    smsru, _ = providers
    settings.SMSRU_FROM = "Phoneref"
    send(SmsRuBackend("smsru"))
    (request,) = smsru.requests
    assert request.method == "POST"
    assert request.path == "/sms/send"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "api_id": [settings.SMSRU_API_ID],
        "to": ["79161234567"],
        "msg": [MESSAGE.text],
        "json": ["1"],
        "from": ["Phoneref"],
    }


def test_smsru_sends_no_sender_name_unless_one_is_set(providers):
    smsru, _ = providers
    send(SmsRuBackend("smsru"))
    assert "from" not in smsru.requests[0].form


def test_smsru_success_gives_the_message_id(providers):
    assert send(SmsRuBackend("smsru")).startswith("000000-")


def test_smsru_refusing_the_number_is_permanent(providers):
    providers[0].plan("refused")
    error = refusal(SmsRuBackend("smsru"))
    assert (error.code, error.transient) == ("smsru_207", False)


def test_smsru_wrong_api_id_is_permanent(providers, settings):
    settings.SMSRU_API_ID = "not-the-key"
    error = refusal(SmsRuBackend("smsru"))
    assert (error.code, error.transient) == ("smsru_200", False)


def test_smsru_service_busy_is_transient(providers):
    providers[0].plan("busy")
    error = refusal(SmsRuBackend("smsru"))
    assert (error.code, error.transient) == ("smsru_220", True)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("500", "http_500"),
        ("503", "http_503"),
        ("429", "http_429"),
        ("reset", "connection_error"),
        ("hang", "timeout"),
        ("not_json", "http_200_not_json"),
    ],
)
def test_smsru_transport_failures_are_transient(providers, reply, code, short_timeout):
    providers[0].plan(reply)
    error = refusal(SmsRuBackend("smsru"))
    assert (error.code, error.transient) == (code, True)


def test_a_provider_that_is_not_listening_is_transient(providers, settings):
    settings.SMSRU_API_URL = "http://127.0.0.1:9"
    error = refusal(SmsRuBackend("smsru"))
    assert (error.code, error.transient) == ("connection_error", True)


# Twilio


def test_twilio_posts_the_documented_form_with_basic_auth(providers, settings):
    _, twilio = providers
    settings.TWILIO_STATUS_CALLBACK_URL = "https://example.com/sms/callbacks/twilio/"
    send(TwilioBackend("twilio"))
    (request,) = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
    credentials = base64.b64encode(f"{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {credentials}"
    assert request.form == {
        "To": ["+79161234567"],
        "From": [settings.TWILIO_FROM],
        "Body": [MESSAGE.text],
        "StatusCallback": ["https://example.com/sms/callbacks/twilio/"],
    }


def test_twilio_sends_through_a_messaging_service_when_one_is_set(providers, settings):
    _, twilio = providers
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    send(TwilioBackend("twilio"))
    form = twilio.requests[0].form
    assert form["MessagingServiceSid"] == ["MG" + "1" * 32]
    assert "From" not in form
    assert "StatusCallback" not in form


def test_twilio_success_gives_the_message_sid(providers):
    sid = send(TwilioBackend("twilio"))
    assert sid.startswith("SM")
    assert len(sid) == 34


def test_twilio_invalid_number_is_permanent(providers):
    providers[1].plan("refused")
    error = refusal(TwilioBackend("twilio"))
    assert (error.code, error.transient) == ("twilio_21211", False)


def test_twilio_wrong_credentials_are_permanent(providers, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    error = refusal(TwilioBackend("twilio"))
    assert (error.code, error.transient) == ("twilio_20003", False)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("busy", "http_429"),
        ("500", "http_500"),
        ("503", "http_503"),
        ("reset", "connection_error"),
        ("hang", "timeout"),
    ],
)
def test_twilio_transport_failures_are_transient(providers, reply, code, short_timeout):
    providers[1].plan(reply)
    error = refusal(TwilioBackend("twilio"))
    assert (error.code, error.transient) == (code, True)


def test_no_error_carries_a_credential_or_the_text(providers, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    error = refusal(TwilioBackend("twilio"))
    for secret in ("wrong", settings.TWILIO_ACCOUNT_SID, MESSAGE.text, MESSAGE.code):
        assert secret not in str(error)
        assert secret not in repr(error.args)
