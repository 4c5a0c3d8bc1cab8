"""The admin pages of login codes."""

import pytest

from phoneref.auth.models import PhoneLogin
from phoneref.auth.services import login_code_request
from phoneref.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("+79990000000", "a-long-pass-phrase"))
    return client


def test_login_codes_show_metadata_and_never_the_code(staff_client):
    code = login_code_request(phone="+79161234567", client_ip="10.0.0.1").code
    login = PhoneLogin.objects.get()
    listing = staff_client.get("/admin/phoneauth/phonelogin/").content.decode()
    detail = staff_client.get(f"/admin/phoneauth/phonelogin/{login.pk}/change/").content.decode()
    for page in (listing, detail):
        assert "+79161234567" in page
        assert login.code_digest not in page
    assert f">{code}<" not in detail
