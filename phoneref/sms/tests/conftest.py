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
    """SMS_BACKEND=smsru,twilio against the fakes, both answering success; every breaker
    closed. The timeout is the production default, so a busy machine never turns a slow
    answer into a retry; a test that makes a fake hang shortens it (`short_timeout`)."""
    fake_smsru.reset()
    fake_twilio.reset()
    for name, value in provider_settings(fake_smsru, fake_twilio).items():
        setattr(settings, name, value)
    settings.SMS_BACKEND = "smsru,twilio"
    breaker_forget()
    yield fake_smsru, fake_twilio
    breaker_forget()


@pytest.fixture
def short_timeout(settings):
    """A hanging fake then costs a second per try."""
    settings.SMS_TIMEOUT_SECONDS = 1
