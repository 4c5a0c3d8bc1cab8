import pytest

from phoneref.users.models import User
from phoneref.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = User.objects.create_superuser("+79990000000", "a-long-pass-phrase")
    assert client.login(phone="+79990000000", password="a-long-pass-phrase")
    client.admin = admin
    return client


def test_staff_sign_in_with_phone_and_password(client):
    User.objects.create_superuser("+79990000000", "a-long-pass-phrase")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "+79990000000", "password": "a-long-pass-phrase"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_adding_a_user_in_the_admin_goes_through_the_service(staff_client):
    response = staff_client.post(
        "/admin/users/user/add/",
        {
            "phone": "8 916 555 44 33",
            "password1": "another-long-phrase",
            "password2": "another-long-phrase",
        },
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(phone="+79165554433")
    assert len(user.invite_code) == 6
    assert user.check_password("another-long-phrase")


def test_an_invalid_phone_in_the_admin_is_a_form_error(staff_client):
    response = staff_client.post(
        "/admin/users/user/add/",
        {"phone": "12", "password1": "x-long-phrase-1", "password2": "x-long-phrase-1"},
    )
    assert response.status_code == 200
    assert "valid phone number" in response.content.decode()


def test_the_admin_activates_invite_codes_with_the_same_rules(staff_client):
    referrer, user = UserFactory.create(), UserFactory.create()
    response = staff_client.post(
        "/admin/users/user/",
        {"action": "activate_invite_code", "_selected_action": [user.pk, referrer.pk],
         "invite_code": referrer.invite_code, "apply": "1"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.referred_by == referrer
    referrer.refresh_from_db()
    assert referrer.referred_by is None  # its own code: refused, and said so
    assert "own invite code" in response.content.decode()


def test_user_pages_render(staff_client):
    user = UserFactory.create()
    assert staff_client.get("/admin/users/user/").status_code == 200
    assert staff_client.get(f"/admin/users/user/{user.pk}/change/").status_code == 200
    assert staff_client.get("/admin/users/user/?q=916").status_code == 200


def test_users_are_deactivated_not_deleted_so_referral_counts_stay_true(staff_client):
    user = UserFactory.create()
    assert staff_client.get(f"/admin/users/user/{user.pk}/delete/").status_code == 403
    listing = staff_client.get("/admin/users/user/").content.decode()
    assert "delete_selected" not in listing
