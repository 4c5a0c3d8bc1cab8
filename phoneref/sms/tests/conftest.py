import pytest

from phoneref.sms.breaker import breaker_forget
from phoneref.sms.tests.fakes import FakeSmsRu, FakeTwilio, provider_settings


@pytest.fixture(scope="session")
def fake_smsru():
    fake = FakeSmsRu()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def fake_twilio():
    fake = FakeTwilio()
    yield fake
    fake.stop()


@pytest.fixture
def providers(settings, fake_smsru, fake_twilio):
    """SMS_BACKEND=smsru,twilio against the fakes, both answering success; a short timeout
    so a hanging fake costs half a second; every breaker closed."""
    fake_smsru.reset()
    fake_twilio.reset()
    for name, value in provider_settings(fake_smsru, fake_twilio).items():
        setattr(settings, name, value)
    settings.SMS_BACKEND = "smsru,twilio"
    settings.SMS_TIMEOUT_SECONDS = 0.5
    breaker_forget()
    yield fake_smsru, fake_twilio
    breaker_forget()
