"""The per-prefix breaker: pumping to one prefix is paused, legitimate traffic is not."""

import logging
import random
from datetime import UTC, datetime, timedelta
from functools import partial
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum

from phoneref.abuse.breaker import prefix_judge, prefix_pause_lift
from phoneref.abuse.models import PrefixPause, PrefixSends
from phoneref.auth.services import login_code_request, login_code_verify
from phoneref.core.errors import ServiceError
from phoneref.core.testing import run_in_parallel

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Traffic:
    """Code requests to numbers of one prefix (+7 999), each from an address of its own."""

    def __init__(self, seed: int = 1) -> None:
        self.random = random.Random(seed)
        self.sent = 0

    def request(self, now: datetime, *, prefix: str = "999"):
        self.sent += 1
        phone = f"+7{prefix}{self.random.randrange(10**7):07d}"
        ip = f"10.{self.random.randrange(256)}.{self.random.randrange(256)}.{self.sent % 250 + 1}"
        return login_code_request(phone=phone, client_ip=ip, now=now)

    def login(self, now: datetime, *, prefix: str = "999") -> None:
        """A person: asks for a code and enters it a minute later."""
        sent = self.request(now, prefix=prefix)
        login_code_verify(
            phone=sent.phone,
            code=sent.code,
            client_ip="198.51.100.1",
            now=now + timedelta(minutes=1),
        )


def minutes(start: datetime, count: int):
    for n in range(count):
        yield n, start + timedelta(minutes=n)


@pytest.mark.django_db
def test_a_pumping_run_against_one_prefix_is_paused_and_people_elsewhere_are_not(caplog):
    """Four hours of people logging in (3 a minute to +7 999, 4 in 5 of them finishing), then
    a bot asking 30 codes a minute for random +7 999 numbers from changing addresses and never
    entering one: the prefix is paused once the bot's requests, judged after the codes'
    lifetime, are far above the usual rate with few logins; +7 916 keeps working."""
    people, bot = Traffic(seed=1), Traffic(seed=2)
    for _, now in minutes(START - timedelta(hours=4), 4 * 60):
        for n in range(3):
            if n < 2 or now.minute % 5 < 2:
                people.login(now + timedelta(seconds=n))
            else:
                people.request(now + timedelta(seconds=n))
    assert not PrefixPause.objects.exists()

    caplog.set_level(logging.WARNING, logger="phoneref.abuse.breaker")
    tripped_at, refusal = None, None
    for minute, now in minutes(START, 60):
        try:
            for n in range(30):
                bot.request(now + timedelta(seconds=2 * n))
        except ServiceError as exc:
            tripped_at, refusal = minute, exc.code
            break
    assert refusal == "too_many_requests"
    pause = PrefixPause.objects.get()
    # 13 minutes of the bot judged (its codes younger than 5 minutes are not yet): 390 of its
    # requests beside the people's last 126, over 3 times the usual 165 and under 20 % logins.
    # The request that had the prefix judged was let through; the next one was not.
    assert (pause.prefix, tripped_at, bot.sent - 1) == ("7999", 18, 541)
    assert (pause.sends, pause.logins) == (516, 100)
    assert "code requests to prefix +7999 paused" in caplog.text
    # Another prefix is untouched, and the paused one answers with how long to wait.
    assert Traffic(seed=3).request(START + timedelta(minutes=19), prefix="916").phone
    with pytest.raises(ServiceError) as refused:
        people.request(START + timedelta(minutes=19))
    assert refused.value.retry_after is not None
    assert 0 < refused.value.retry_after <= 3600


@pytest.mark.django_db
def test_a_sudden_crowd_of_people_does_not_trip_it():
    """Ten times the usual rate, but they enter their codes."""
    people = Traffic()
    for _, now in minutes(START, 60):
        for n in range(10):
            people.login(now + timedelta(seconds=n))
    assert not PrefixPause.objects.exists()


@pytest.mark.django_db
def test_a_burst_younger_than_a_code_s_lifetime_is_not_judged_yet():
    """As in `make bench`: a thousand requests within seconds, their codes still alive."""
    bot = Traffic()
    for n in range(1000):
        bot.request(START + timedelta(milliseconds=n))
    assert not PrefixPause.objects.exists()
    total = PrefixSends.objects.filter(prefix="7999").aggregate(Sum("sends"))["sends__sum"]
    assert total == 1000


@pytest.mark.django_db
def test_few_requests_never_trip_it_whatever_their_logins():
    bot = Traffic()
    for _, now in minutes(START, 60):
        bot.request(now)
    assert not prefix_judge(prefix="7999", now=START + timedelta(minutes=60))


@pytest.mark.django_db
def test_staff_lifting_a_pause_resume_sends_and_the_breaker_starts_afresh(user, settings):
    settings.OTP_PREFIX_MIN_SENDS = 20
    bot = Traffic()
    for n in range(30):
        bot.request(START + timedelta(seconds=n))
    later = START + timedelta(minutes=10)
    assert prefix_judge(prefix="7999", now=later)
    with pytest.raises(ServiceError):
        bot.request(later)
    prefix_pause_lift(pause=PrefixPause.objects.get(), by=user, now=later)
    assert bot.request(later + timedelta(seconds=1)).phone
    assert not prefix_judge(prefix="7999", now=later + timedelta(minutes=10))
    pause = PrefixPause.objects.get()
    assert pause.lifted_by == user


@pytest.mark.django_db
def test_purging_keeps_the_counts_the_breaker_still_reads():
    Traffic().request(START - timedelta(days=7, minutes=61))
    Traffic(seed=2).request(START - timedelta(days=7))
    with time_machine.travel(START, tick=False):
        call_command("purge_expired", stdout=StringIO())
    assert PrefixSends.objects.count() == 1


@pytest.mark.django_db
def test_the_breaker_can_be_switched_off(settings):
    settings.OTP_PREFIX_BREAKER = False
    Traffic().request(START)
    assert not PrefixSends.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_parallel_requests_are_all_counted_and_the_prefix_is_paused_once(settings, caplog):
    settings.OTP_PREFIX_MIN_SENDS = 30
    bot = Traffic()
    phones = [f"+7999{n:07d}" for n in range(40)]
    results = run_in_parallel(
        [
            partial(login_code_request, phone=p, client_ip=f"10.1.0.{n}", now=START)
            for n, p in enumerate(phones)
        ]
    )
    assert not any(isinstance(r, Exception) for r in results)
    total = PrefixSends.objects.filter(prefix="7999").aggregate(Sum("sends"))["sends__sum"]
    assert total == 40

    # Ten minutes on, those 40 are judged (their codes expired unused): every parallel
    # request may judge, one pause results, and no request after it gets through.
    later = START + timedelta(minutes=10)
    caplog.set_level(logging.WARNING, logger="phoneref.abuse.breaker")
    results = run_in_parallel(
        [
            partial(
                login_code_request, phone=f"+7999{100 + n:07d}", client_ip=f"10.2.0.{n}", now=later
            )
            for n in range(30)
        ]
    )
    assert PrefixPause.objects.count() == 1
    assert caplog.text.count("paused until") == 1
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert refused
    assert all(r.code == "too_many_requests" for r in refused)
    with pytest.raises(ServiceError):
        bot.request(later + timedelta(seconds=1))
