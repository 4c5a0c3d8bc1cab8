"""OTP_SENDS_PER_HOUR_TOTAL caps all code sends together over a rolling hour."""

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from phoneref.abuse.models import SendBudget
from phoneref.auth.services import login_code_request
from phoneref.core.errors import ServiceError
from phoneref.core.testing import run_in_parallel

NOW = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)


def send(n: int, now: datetime = NOW):
    ip = f"10.0.{n // 250}.{n % 250}"
    return login_code_request(phone=f"+7916{n:07d}", client_ip=ip, now=now)


@pytest.mark.django_db
def test_the_budget_is_off_by_default():
    for n in range(30):
        send(n)
    assert not SendBudget.objects.exists()


@pytest.mark.django_db
def test_sends_over_the_budget_get_429_with_the_wait_until_the_oldest_minute_leaves(settings):
    settings.OTP_SENDS_PER_HOUR_TOTAL = 3
    send(1, NOW - timedelta(minutes=50))
    send(2, NOW - timedelta(minutes=10))
    send(3, NOW)
    with pytest.raises(ServiceError) as refused:
        send(4)
    assert refused.value.code == "too_many_requests"
    # The first send's minute (12:00 - 50 min, i.e. 11:10) leaves the window at 12:10:00.
    assert refused.value.retry_after == 10 * 60 - 30
    assert send(5, NOW + timedelta(minutes=10)).phone


@pytest.mark.django_db
def test_a_send_refused_by_its_own_limits_spends_nothing(settings):
    settings.OTP_SENDS_PER_HOUR_TOTAL = 2
    send(1)
    with pytest.raises(ServiceError):
        send(1)  # the phone's resend cooldown
    assert send(2).phone
    assert sum(SendBudget.objects.get().minutes.values()) == 2


def test_the_api_answers_429_with_retry_after(api_client, db, settings):
    settings.OTP_SENDS_PER_HOUR_TOTAL = 1
    url = "/api/v1/auth/request-code/"
    assert api_client.post(url, {"phone": "+79161110001"}, format="json").status_code == 200
    response = api_client.post(url, {"phone": "+79161110002"}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_requests"
    assert 1 <= int(response["Retry-After"]) <= 3600


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_parallel_sends_never_exceed_the_budget(settings):
    settings.OTP_SENDS_PER_HOUR_TOTAL = 7
    results = run_in_parallel([partial(send, n) for n in range(24)])
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(results) - len(refused) == 7
    assert all(
        isinstance(r, ServiceError)
        and r.code == "too_many_requests"
        and r.retry_after is not None
        and r.retry_after >= 1
        for r in refused
    )
    assert sum(SendBudget.objects.get().minutes.values()) == 7
