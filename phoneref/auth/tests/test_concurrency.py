"""Login rules under real parallel connections (PostgreSQL row locks)."""

from functools import partial

import pytest

from phoneref.auth.models import ClientAddress, PhoneLogin
from phoneref.auth.services import login_code_request, login_code_verify
from phoneref.core.errors import ServiceError
from phoneref.core.testing import run_in_parallel
from phoneref.users.models import User

PHONE = "+79161234567"
IP = "10.0.0.1"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def test_ten_parallel_verifies_of_a_new_phone_make_one_user_and_one_login():
    code = login_code_request(phone=PHONE, client_ip="10.0.0.1").code
    results = run_in_parallel(
        [lambda: login_code_verify(client_ip=IP, phone=PHONE, code=code)] * 10
    )
    logins = [r for r in results if not isinstance(r, Exception)]
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(logins) == 1
    assert logins[0].is_new_user
    assert all(isinstance(r, ServiceError) and r.code == "invalid_code" for r in refusals)
    assert User.objects.filter(phone=PHONE).count() == 1


def test_parallel_wrong_guesses_cannot_exceed_the_attempt_limit():
    code = login_code_request(phone=PHONE, client_ip="10.0.0.1").code
    guesses = [f"{n:04d}" for n in range(10_000) if f"{n:04d}" != code][:20]
    results = run_in_parallel(
        [partial(login_code_verify, client_ip=IP, phone=PHONE, code=g) for g in guesses]
    )
    codes = [r.code for r in results]
    # Ten wrong codes per number from one network a day; five of them killed the code.
    assert codes.count("invalid_code") == 10
    assert codes.count("too_many_attempts") == 10
    login = PhoneLogin.objects.get(phone=PHONE)
    assert login.code_failed_attempts == 5
    assert login.code_digest == ""


def test_parallel_code_requests_for_one_phone_send_one_code():
    results = run_in_parallel([lambda: login_code_request(phone=PHONE, client_ip="10.0.0.1")] * 10)
    sent = [r for r in results if not isinstance(r, Exception)]
    assert len(sent) == 1
    assert all(
        isinstance(r, ServiceError) and r.code == "too_many_requests"
        for r in results
        if isinstance(r, Exception)
    )
    assert len(PhoneLogin.objects.get(phone=PHONE).send_log) == 1
    # Only the send that happened counts against the address, whichever request lost the race.
    assert len(ClientAddress.objects.get(network="10.0.0.1").send_log) == 1


def test_parallel_requests_from_one_address_for_many_phones_send_exactly_its_limit(settings):
    assert settings.OTP_IP_SENDS_PER_HOUR == 20
    results = run_in_parallel(
        [
            partial(login_code_request, phone=f"+7916000{n:04d}", client_ip="192.0.2.1")
            for n in range(40)
        ]
    )
    sent = [r for r in results if not isinstance(r, Exception)]
    assert len(sent) == 20
    assert all(
        isinstance(r, ServiceError) and r.code == "too_many_requests"
        for r in results
        if isinstance(r, Exception)
    )
    assert PhoneLogin.objects.count() == 20
    assert {login.phone for login in PhoneLogin.objects.all()} == {r.phone for r in sent}
    assert len(ClientAddress.objects.get(network="192.0.2.1").send_log) == 20
