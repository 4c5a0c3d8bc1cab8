"""Guessing codes: bounded per number and per client, yet no lockout of the owner, and no
answer that tells a guesser whether a number is logging in."""

from datetime import timedelta

import pytest
from django.utils import timezone

from phoneref.auth.models import PhoneLogin
from phoneref.auth.services import login_code_request, login_code_verify
from phoneref.core.errors import ServiceError
from phoneref.core.testing import START

PHONE = "+79161234567"
OWNER = "198.51.100.7"
ATTACKER = "203.0.113.66"

pytestmark = pytest.mark.django_db


def request_code(ip: str = OWNER, phone: str = PHONE) -> str:
    return login_code_request(phone=phone, client_ip=ip).code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def verify(code: str, ip: str = OWNER, phone: str = PHONE):
    return login_code_verify(phone=phone, code=code, client_ip=ip)


def refused(code: str, ip: str = OWNER, phone: str = PHONE) -> ServiceError:
    with pytest.raises(ServiceError) as error:
        verify(code, ip, phone)
    return error.value


def test_a_wrong_code_reports_what_this_client_has_left_today(clock):
    code = request_code()
    error = refused(wrong(code))
    assert error.code == "invalid_code"
    assert error.field == "code"
    assert error.extra == {"attempts_left": 9}


def test_no_code_a_wrong_one_and_an_expired_one_answer_alike(clock):
    """A guesser cannot tell which numbers are logging in right now."""
    without = refused("1234", ip=ATTACKER, phone="+79160000001")
    request_code(phone="+79160000002")
    with_live = refused(
        "0000" if request_code(phone="+79160000003") != "0000" else "0001",
        ip=ATTACKER,
        phone="+79160000003",
    )
    code = request_code(phone="+79160000004")
    clock.shift(timedelta(seconds=300))
    expired = refused(code, ip=ATTACKER, phone="+79160000004")
    answers = {
        (e.code, e.message, tuple(e.extra.items()), e.retry_after)
        for e in (without, with_live, expired)
    }
    assert answers == {("invalid_code", without.message, (("attempts_left", 9),), None)}


def test_five_wrong_tries_kill_the_code_even_for_the_right_digits(clock):
    code = request_code()
    for left in (9, 8, 7, 6, 5):
        assert refused(wrong(code)).extra["attempts_left"] == left
    assert refused(code).code == "invalid_code"
    assert PhoneLogin.objects.get(phone=PHONE).code_digest == ""


def test_tries_per_code_is_a_setting(clock, settings):
    settings.OTP_MAX_ATTEMPTS = 2
    code = request_code()
    refused(wrong(code))
    refused(wrong(code))
    assert refused(code).code == "invalid_code"


def test_a_guesser_elsewhere_cannot_lock_the_owner_out(clock):
    """The attack that locked a number for 24 h: 5 wrong codes, wait, 5 more, every day."""
    for _ in range(2):
        code = request_code(ip=ATTACKER)
        for _ in range(5):
            refused(wrong(code), ip=ATTACKER)
        clock.shift(timedelta(seconds=61))
    assert refused("1234", ip=ATTACKER).code == "too_many_attempts"

    # The owner's own new code, requested once the cooldown has passed, logs in.
    assert verify(request_code(ip=OWNER)).user.phone == PHONE


def test_ten_wrong_codes_per_number_from_one_network_then_its_checks_are_refused(clock):
    for n in range(10):
        refused(f"{n:04d}", ip=ATTACKER)
    error = refused("1234", ip=ATTACKER)
    assert error.code == "too_many_attempts"
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 24 * 3600
    # Addresses of one IPv6 /64 are one client.
    for n in range(10):
        refused(f"{n:04d}", ip=f"2001:db8:7:7::{n + 1}")
    assert refused("1234", ip="2001:db8:7:7::ffff").code == "too_many_attempts"
    clock.shift(timedelta(seconds=error.retry_after))
    assert refused("1234", ip=ATTACKER).code == "invalid_code"


def test_one_network_gets_a_bounded_number_of_wrong_codes_over_all_numbers(clock, settings):
    settings.OTP_IP_FAILURES_PER_HOUR = 30
    for n in range(30):
        refused("1234", ip=ATTACKER, phone=f"+7916000{n:04d}")
    error = refused("1234", ip=ATTACKER, phone="+79169999999")
    assert error.code == "too_many_attempts"
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 3600
    # Another client is not affected.
    assert refused("1234", ip=OWNER, phone="+79169999999").code == "invalid_code"


def test_the_network_limit_can_be_switched_off(clock, settings):
    settings.OTP_IP_FAILURES_PER_HOUR = 0
    for n in range(40):
        assert refused("1234", ip=ATTACKER, phone=f"+7916000{n:04d}").code == "invalid_code"


def test_wrong_codes_per_number_and_day_stay_bounded_over_many_networks(clock):
    """However many networks guess, the number's daily sends bound the codes there are to
    guess, and each code takes 5 wrong tries: at most 10 x 5 wrong codes meet a live code."""
    live_guesses = 0
    day_end = START + timedelta(days=1)
    for attempt in range(40):
        try:
            code = request_code(ip=f"192.0.2.{attempt}")
        except ServiceError as error:
            # The number's send limits: wait until they admit another code.
            assert error.retry_after is not None  # noqa: PT017 - a loop, not one raise
            clock.shift(timedelta(seconds=error.retry_after))
            continue
        if timezone.now() >= day_end:
            break
        for n in range(6):
            login = PhoneLogin.objects.get(phone=PHONE)
            live_guesses += bool(login.code_digest)
            refused(wrong(code), ip=f"10.{attempt}.{n}.1")
        clock.shift(timedelta(seconds=61))
    assert live_guesses == 10 * 5


def test_the_failures_of_a_network_survive_a_new_code(clock, settings):
    code = request_code()
    for _ in range(4):
        refused(wrong(code))
    clock.shift(timedelta(seconds=61))
    code = request_code()
    assert refused(wrong(code)).extra["attempts_left"] == 5


def test_attempts_left_is_left_out_when_the_daily_limit_is_off(clock, settings):
    settings.OTP_FAILURES_PER_DAY = 0
    code = request_code()
    assert refused(wrong(code)).extra == {}
