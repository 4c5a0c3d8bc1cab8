"""Failover, retries and the circuit breaker, against the fakes of both providers."""

import pytest
from asgiref.sync import async_to_sync

from phoneref.core.testing import run_in_parallel
from phoneref.sms.backends import SmsMessage
from phoneref.sms.breaker import breaker_forget, breaker_record
from phoneref.sms.models import BackendHealth, Delivery
from phoneref.sms.sending import SmsUnavailable, sms_send

pytestmark = pytest.mark.django_db

MESSAGE = SmsMessage(phone="+79161234567", code="4821", text="Your login code: 4821.")


def send() -> None:
    async_to_sync(sms_send)(MESSAGE)


def deliveries() -> list[tuple]:
    return list(
        Delivery.objects.order_by("id").values_list("backend", "status", "attempts", "error_code")
    )


def test_the_first_backend_that_answers_sends_it_and_the_second_is_not_asked(providers):
    smsru, twilio = providers
    send()
    assert len(smsru.requests) == 1
    assert twilio.requests == []
    (delivery,) = Delivery.objects.all()
    assert (delivery.backend, delivery.status, delivery.attempts) == ("smsru", "queued", 1)
    assert delivery.phone == MESSAGE.phone
    assert delivery.provider_message_id.startswith("000000-")


def test_a_transient_failure_is_retried_once_on_the_same_backend(providers):
    smsru, twilio = providers
    smsru.plan("503")
    send()
    assert len(smsru.requests) == 2
    assert twilio.requests == []
    assert deliveries() == [("smsru", "queued", 2, "")]


def test_two_transient_failures_fail_over_to_the_next_backend(providers, short_timeout):
    smsru, twilio = providers
    smsru.plan("hang", "reset")
    send()
    assert len(smsru.requests) == 2
    assert len(twilio.requests) == 1
    assert deliveries() == [
        ("smsru", "failed", 2, "connection_error"),
        ("twilio", "queued", 1, ""),
    ]


def test_a_permanent_refusal_goes_straight_to_the_next_backend(providers):
    smsru, twilio = providers
    smsru.plan("refused")
    send()
    assert len(smsru.requests) == 1
    assert len(twilio.requests) == 1
    assert deliveries() == [("smsru", "failed", 1, "smsru_207"), ("twilio", "queued", 1, "")]


def test_the_backends_are_tried_in_the_order_of_the_setting(providers, settings):
    _smsru, twilio = providers
    settings.SMS_BACKEND = "twilio, smsru"
    twilio.plan("refused")
    send()
    assert [d[0] for d in deliveries()] == ["twilio", "smsru"]


def test_when_every_backend_fails_nothing_is_sent_and_each_attempt_is_recorded(providers):
    smsru, twilio = providers
    smsru.default = "500"
    twilio.default = "refused"
    with pytest.raises(SmsUnavailable) as caught:
        send()
    assert caught.value.retry_after >= 1
    assert deliveries() == [
        ("smsru", "failed", 2, "http_500"),
        ("twilio", "failed", 1, "twilio_21211"),
    ]


def test_a_backend_failing_again_and_again_is_skipped_while_its_breaker_is_open(
    providers, settings
):
    smsru, twilio = providers
    settings.SMS_BREAKER_FAILURES = 2
    smsru.default = "refused"
    send()
    send()
    assert BackendHealth.objects.get(backend="smsru").open_until is not None
    smsru.requests.clear()
    send()
    assert smsru.requests == []
    assert len(twilio.requests) == 3


def test_the_breaker_is_seen_by_another_process(providers, settings):
    """What a process knows lives in BackendHealth: one that has never sent skips it too."""
    smsru, _twilio = providers
    settings.SMS_BREAKER_FAILURES = 1
    smsru.default = "refused"
    send()
    breaker_forget()
    smsru.requests.clear()
    send()
    assert smsru.requests == []


def test_an_open_breaker_on_every_backend_answers_at_once_with_when_to_retry(providers, settings):
    smsru, twilio = providers
    settings.SMS_BREAKER_FAILURES = 1
    settings.SMS_BREAKER_SECONDS = 120
    smsru.default = twilio.default = "refused"
    with pytest.raises(SmsUnavailable):
        send()
    smsru.requests.clear()
    twilio.requests.clear()
    with pytest.raises(SmsUnavailable) as caught:
        send()
    assert smsru.requests == twilio.requests == []
    assert 100 < caught.value.retry_after <= 120


def test_the_breaker_closes_after_a_send_that_works(providers, settings):
    smsru, _ = providers
    settings.SMS_BREAKER_FAILURES = 2
    smsru.plan("refused")
    send()
    assert BackendHealth.objects.get(backend="smsru").failures == 1
    send()
    health = BackendHealth.objects.get(backend="smsru")
    assert (health.failures, health.open_until) == (0, None)


def test_after_its_open_time_a_backend_is_tried_again(providers, settings):
    smsru, _ = providers
    settings.SMS_BREAKER_FAILURES = 1
    smsru.plan("refused")
    send()
    BackendHealth.objects.filter(backend="smsru").update(open_until=None)
    breaker_forget()
    smsru.requests.clear()
    send()
    assert len(smsru.requests) == 1
    assert BackendHealth.objects.get(backend="smsru").failures == 0


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_failures_counted_at_once_by_many_connections_all_count(settings):
    settings.SMS_BREAKER_FAILURES = 100
    run_in_parallel([lambda: breaker_record("smsru", succeeded=False)] * 8)
    assert BackendHealth.objects.get(backend="smsru").failures == 8


def test_simulated_backends_record_nothing_and_touch_no_breaker(
    settings, django_assert_num_queries, sms_outbox
):
    settings.SMS_BACKEND = "locmem"
    with django_assert_num_queries(0):
        send()
    assert sms_outbox == [MESSAGE]


def test_no_log_line_carries_the_text_the_code_or_a_credential(providers, settings, caplog):
    smsru, twilio = providers
    smsru.default = "refused"
    twilio.default = "503"
    settings.TWILIO_AUTH_TOKEN = "wrong-token-for-the-log-test"
    with caplog.at_level("DEBUG"), pytest.raises(SmsUnavailable):
        send()
    assert caplog.records
    for secret in (
        MESSAGE.text,
        MESSAGE.code,
        MESSAGE.phone,
        settings.SMSRU_API_ID,
        "wrong-token-for-the-log-test",
    ):
        assert secret not in caplog.text
