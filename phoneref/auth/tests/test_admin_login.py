"""The admin opens only to its own password login, under limits an attacker cannot turn
against the staff member."""

import pytest
from django.test import Client

from phoneref.auth.models import StaffLoginThrottle
from phoneref.auth.services import staff_password_authenticate
from phoneref.core.errors import ServiceError
from phoneref.core.testing import run_in_parallel
from phoneref.sms import backends as sms
from phoneref.users.models import User

STAFF_PHONE = "+79990000000"
PASSWORD = "a-long-pass-phrase"
ADMIN_LOGIN = "/admin/login/?next=/admin/users/user/"


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser(STAFF_PHONE, PASSWORD)


def admin_login(client: Client, password: str, *, ip: str = "203.0.113.10"):
    return client.post(ADMIN_LOGIN, {"username": STAFF_PHONE, "password": password}, REMOTE_ADDR=ip)


def test_a_phone_code_login_of_a_staff_member_does_not_open_the_admin(client, staff):
    client.post("/login/", {"phone": STAFF_PHONE})
    client.post("/login/verify/", {"code": sms.outbox[-1].code})
    assert client.get("/profile/").status_code == 200

    response = client.get("/admin/users/user/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_password_login_opens_the_admin(client, staff):
    assert admin_login(client, PASSWORD)["Location"] == "/admin/users/user/"
    assert client.get("/admin/users/user/").status_code == 200


def test_after_a_code_login_the_password_login_still_opens_the_admin(client, staff):
    client.post("/login/", {"phone": STAFF_PHONE})
    client.post("/login/verify/", {"code": sms.outbox[-1].code})
    assert admin_login(client, PASSWORD).status_code == 302
    assert client.get("/admin/users/user/").status_code == 200


def test_wrong_passwords_from_one_network_lock_only_that_network_out(client, settings, staff):
    settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT = 5
    for _ in range(5):
        assert admin_login(client, "wrong-guess").status_code == 200
    refused = admin_login(client, PASSWORD)
    assert refused.status_code == 200
    assert "Too many requests" in refused.content.decode()

    elsewhere = Client()
    assert admin_login(elsewhere, PASSWORD, ip="198.51.100.20").status_code == 302


def test_one_network_gets_a_bounded_number_of_tries_over_all_accounts(db, settings):
    settings.STAFF_LOGIN_FAILURES_PER_NETWORK = 6
    for n in range(6):
        assert (
            staff_password_authenticate(
                phone=f"+7916000000{n}", password="x", client_ip="192.0.2.1"
            )
            is None
        )
    with pytest.raises(ServiceError) as refused:
        staff_password_authenticate(phone="+79160000009", password="x", client_ip="192.0.2.1")
    assert refused.value.code == "too_many_requests"
    assert refused.value.retry_after is not None
    assert refused.value.retry_after > 0


def test_addresses_of_one_ipv6_network_count_as_one_client(db, settings, staff):
    settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT = 3
    for n in range(3):
        staff_password_authenticate(phone=STAFF_PHONE, password="x", client_ip=f"2001:db8:1:2::{n}")
    with pytest.raises(ServiceError):
        staff_password_authenticate(
            phone=STAFF_PHONE, password=PASSWORD, client_ip="2001:db8:1:2::ff"
        )


def test_the_right_password_clears_the_accounts_failures(db, staff):
    for _ in range(3):
        staff_password_authenticate(phone=STAFF_PHONE, password="x", client_ip="192.0.2.1")
    assert staff_password_authenticate(phone=STAFF_PHONE, password=PASSWORD, client_ip="192.0.2.1")
    row = StaffLoginThrottle.objects.get(key=f"account:{STAFF_PHONE}@192.0.2.1")
    assert row.failure_log == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_parallel_wrong_passwords_cannot_exceed_the_limit(settings):
    settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT = 5
    User.objects.create_superuser(STAFF_PHONE, PASSWORD)
    results = run_in_parallel(
        [
            lambda: staff_password_authenticate(
                phone=STAFF_PHONE, password="wrong", client_ip="192.0.2.7"
            )
        ]
        * 12
    )
    checked = [r for r in results if r is None]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(checked) == 5
    assert len(refused) == 7
    row = StaffLoginThrottle.objects.get(key=f"account:{STAFF_PHONE}@192.0.2.7")
    assert len(row.failure_log) == 5
