"""The rules of SPEC 2.2, one test each, on a frozen clock (no sleeping)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from phoneref.auth.models import ClientAddress, PhoneLogin
from phoneref.auth.services import login_code_request, login_code_verify
from phoneref.core.errors import ServiceError
from phoneref.users.models import User

PHONE = "+79161234567"
IP = "10.0.0.1"

pytestmark = pytest.mark.django_db


def request_code(phone: str = PHONE, ip: str = "10.0.0.1") -> str:
    return login_code_request(phone=phone, client_ip=ip).code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def refused(call, code: str) -> ServiceError:
    with pytest.raises(ServiceError) as error:
        call()
    assert error.value.code == code
    return error.value


def test_a_code_is_four_ascii_digits(clock):
    code = request_code()
    assert len(code) == 4
    assert code.isascii()
    assert code.isdigit()


def test_a_code_is_drawn_from_all_of_0000_to_9999_and_keeps_its_leading_zeros(clock, monkeypatch):
    bounds = []

    def randbelow(bound: int) -> int:
        bounds.append(bound)
        return 42

    monkeypatch.setattr("phoneref.auth.codes.secrets.randbelow", randbelow)
    assert request_code() == "0042"
    assert bounds == [10_000]


def test_the_code_length_is_a_setting(clock, settings):
    settings.OTP_CODE_LENGTH = 6
    code = request_code()
    assert len(code) == 6
    assert login_code_verify(client_ip=IP, phone=PHONE, code=code).user.phone == PHONE


def test_only_an_hmac_of_the_code_is_stored(clock):
    code = request_code()
    login = PhoneLogin.objects.get(phone=PHONE)
    assert len(login.code_digest) == 64
    assert code not in login.code_digest
    stored = PhoneLogin.objects.filter(phone=PHONE).values_list().get()
    assert code not in repr(stored)


def test_the_right_code_logs_in_and_creates_the_user(clock):
    login = login_code_verify(client_ip=IP, phone=PHONE, code=request_code())
    assert login.is_new_user
    assert login.user.phone == PHONE
    assert User.objects.filter(phone=PHONE).count() == 1


def test_requesting_a_code_never_creates_a_user(clock):
    request_code()
    assert not User.objects.exists()


def test_a_returning_user_is_not_created_again(clock):
    first = login_code_verify(client_ip=IP, phone=PHONE, code=request_code())
    clock.shift(timedelta(seconds=61))
    again = login_code_verify(client_ip=IP, phone=PHONE, code=request_code())
    assert not again.is_new_user
    assert again.user.pk == first.user.pk


def test_the_phone_may_be_typed_differently_at_each_step(clock):
    code = login_code_request(phone="8 (916) 123-45-67", client_ip="10.0.0.1").code
    assert login_code_verify(client_ip=IP, phone="+7 916 123 45 67", code=code).user.phone == PHONE


def test_a_code_expires_after_its_lifetime(clock):
    code = request_code()
    clock.shift(timedelta(seconds=300))
    refused(lambda: login_code_verify(client_ip=IP, phone=PHONE, code=code), "invalid_code")


def test_a_code_works_until_the_end_of_its_lifetime(clock):
    code = request_code()
    clock.shift(timedelta(seconds=299))
    assert login_code_verify(client_ip=IP, phone=PHONE, code=code).is_new_user


def test_a_code_that_logged_in_can_never_be_used_again(clock):
    code = request_code()
    login_code_verify(client_ip=IP, phone=PHONE, code=code)
    refused(lambda: login_code_verify(client_ip=IP, phone=PHONE, code=code), "invalid_code")


def test_verifying_without_requesting_is_refused(clock):
    refused(lambda: login_code_verify(client_ip=IP, phone=PHONE, code="1234"), "invalid_code")


def test_a_malformed_code_is_refused_without_costing_a_try(clock):
    code = request_code()
    for malformed in ("12", "12345", "abcd", "١٢٣٤", "１２３４", "12 4"):
        error = refused(
            lambda m=malformed: login_code_verify(client_ip=IP, phone=PHONE, code=m),
            "invalid_input",
        )
        assert error.field == "code"
    assert PhoneLogin.objects.get(phone=PHONE).code_failed_attempts == 0
    assert login_code_verify(client_ip=IP, phone=PHONE, code=code).user.phone == PHONE


def test_a_resend_within_the_cooldown_is_refused_with_retry_after(clock):
    request_code()
    clock.shift(timedelta(seconds=20))
    error = refused(request_code, "too_many_requests")
    assert error.retry_after == 40


def test_a_resend_after_the_cooldown_is_allowed(clock):
    request_code()
    clock.shift(timedelta(seconds=60))
    assert request_code()


def test_the_cooldown_is_a_setting(clock, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 5
    request_code()
    clock.shift(timedelta(seconds=5))
    assert request_code()


def test_a_new_code_replaces_the_previous_one(clock):
    old = request_code()
    clock.shift(timedelta(seconds=61))
    new = request_code()
    if old != new:
        refused(lambda: login_code_verify(client_ip=IP, phone=PHONE, code=old), "invalid_code")
    assert login_code_verify(client_ip=IP, phone=PHONE, code=new).user.phone == PHONE
    assert PhoneLogin.objects.filter(phone=PHONE).count() == 1


def test_five_sends_per_hour_per_phone(clock):
    for _ in range(5):
        request_code()
        clock.shift(timedelta(seconds=61))
    error = refused(request_code, "too_many_requests")
    # The first send (at 0 s) leaves the hour window at 3600 s; it is now 305 s.
    assert error.retry_after == 3600 - 5 * 61
    clock.shift(timedelta(seconds=error.retry_after))
    assert request_code()


def test_ten_sends_per_day_per_phone(clock, settings):
    settings.OTP_SENDS_PER_HOUR = 0
    for _ in range(10):
        request_code()
        clock.shift(timedelta(minutes=30))
    error = refused(request_code, "too_many_requests")
    assert error.retry_after == 24 * 3600 - 10 * 30 * 60
    clock.shift(timedelta(seconds=error.retry_after))
    assert request_code()


def test_twenty_sends_per_hour_per_client_address(clock):
    for n in range(20):
        request_code(phone=f"+7916000{n:04d}", ip="192.0.2.7")
    refused(lambda: request_code(phone="+79160009999", ip="192.0.2.7"), "too_many_requests")
    assert request_code(phone="+79160009999", ip="192.0.2.8")


def test_the_address_limit_can_be_switched_off(clock, settings):
    settings.OTP_IP_SENDS_PER_HOUR = 0
    for n in range(25):
        request_code(phone=f"+7916000{n:04d}", ip="192.0.2.7")
    assert not ClientAddress.objects.exists()


def test_a_refusal_by_the_address_limit_says_when_the_address_may_send_again(clock):
    for n in range(20):
        request_code(phone=f"+7916000{n:04d}", ip="192.0.2.7")
        clock.shift(timedelta(seconds=100))
    # The first send (at 0 s) leaves the hour window at 3600 s; it is now 2000 s.
    error = refused(lambda: request_code(phone="+79160009999", ip="192.0.2.7"), "too_many_requests")
    assert error.retry_after == 1600
    assert not PhoneLogin.objects.filter(phone="+79160009999").exists()
    clock.shift(timedelta(seconds=error.retry_after))
    assert request_code(phone="+79160009999", ip="192.0.2.7")


def test_a_refusal_by_both_limits_waits_for_the_later_one(clock, settings):
    settings.OTP_IP_SENDS_PER_HOUR = 2
    request_code(phone="+79160000001", ip="192.0.2.7")
    clock.shift(timedelta(seconds=50))
    request_code(phone=PHONE, ip="192.0.2.7")
    clock.shift(timedelta(seconds=5))
    # The phone's cooldown ends in 55 s, the address's hour in 3545 s.
    error = refused(lambda: request_code(ip="192.0.2.7"), "too_many_requests")
    assert error.retry_after == 3545


def test_a_send_the_phone_refuses_is_not_counted_against_the_address(clock, settings):
    settings.OTP_IP_SENDS_PER_HOUR = 2
    request_code(ip="192.0.2.7")
    refused(lambda: request_code(ip="192.0.2.7"), "too_many_requests")
    assert request_code(phone="+79160000001", ip="192.0.2.7")
    assert len(ClientAddress.objects.get(network="192.0.2.7").send_log) == 2


def test_the_addresses_of_one_ipv6_slash_64_share_one_limit(clock):
    for n in range(20):
        request_code(phone=f"+7916000{n:04d}", ip=f"2001:db8:1:2::{n + 1:x}")
    for n in range(20, 22):
        address = f"2001:db8:1:2:{n:x}::1"
        refused(lambda a=address: request_code(phone="+79160009999", ip=a), "too_many_requests")
    assert request_code(phone="+79160009999", ip="2001:db8:1:3::1")
    assert list(ClientAddress.objects.values_list("network", flat=True).order_by("network")) == [
        "2001:db8:1:2::/64",
        "2001:db8:1:3::/64",
    ]


def test_an_ipv4_mapped_ipv6_address_is_its_ipv4_address(clock, settings):
    settings.OTP_IP_SENDS_PER_HOUR = 1
    request_code(phone="+79160000001", ip="::ffff:1.2.3.4")
    refused(lambda: request_code(ip="1.2.3.4"), "too_many_requests")
    assert ClientAddress.objects.get().network == "1.2.3.4"


def test_a_code_request_s_send_is_one_statement_with_every_limit_on(clock, settings):
    assert settings.OTP_IP_SENDS_PER_HOUR > 0
    for phone in (PHONE, "+79160000001"):
        with CaptureQueriesContext(connection) as queries:
            request_code(phone=phone)
        # The abuse screens before it (phoneref.abuse) have tables of their own.
        sends = [q for q in queries.captured_queries if "phoneauth_" in q["sql"]]
        assert len(sends) == 1


def test_an_invalid_phone_is_refused_at_both_steps(clock):
    refused(lambda: request_code(phone="12345"), "invalid_phone")
    refused(lambda: login_code_verify(client_ip=IP, phone="12345", code="1234"), "invalid_phone")


def test_requesting_a_code_does_not_look_at_users(clock):
    """Same queries, same answer for a phone with and without an account."""
    login_code_verify(client_ip=IP, phone=PHONE, code=request_code())
    clock.shift(timedelta(seconds=61))
    with CaptureQueriesContext(connection) as with_account:
        known = login_code_request(phone=PHONE, client_ip="10.0.0.1")
    with CaptureQueriesContext(connection) as without_account:
        unknown = login_code_request(phone="+79160000001", client_ip="10.0.0.2")
    assert len(with_account) == len(without_account)
    assert not any("users_user" in q["sql"] for q in with_account.captured_queries)
    assert (known.expires_in, known.resend_in) == (unknown.expires_in, unknown.resend_in)


def test_a_disabled_account_cannot_log_in_and_its_code_is_spent(clock):
    login_code_verify(client_ip=IP, phone=PHONE, code=request_code())
    User.objects.filter(phone=PHONE).update(is_active=False)
    clock.shift(timedelta(seconds=61))
    code = request_code()
    refused(lambda: login_code_verify(client_ip=IP, phone=PHONE, code=code), "account_disabled")
    refused(lambda: login_code_verify(client_ip=IP, phone=PHONE, code=code), "invalid_code")


def test_a_disabled_account_is_not_revealed_to_a_wrong_code(clock):
    login_code_verify(client_ip=IP, phone=PHONE, code=request_code())
    User.objects.filter(phone=PHONE).update(is_active=False)
    clock.shift(timedelta(seconds=61))
    code = request_code()
    refused(lambda: login_code_verify(client_ip=IP, phone=PHONE, code=wrong(code)), "invalid_code")
