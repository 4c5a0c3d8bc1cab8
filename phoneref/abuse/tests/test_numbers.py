"""Codes go only to mobile numbers of the allowed countries, and only those may log in."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from phoneref.auth.services import login_code_request
from phoneref.core.errors import ServiceError
from phoneref.core.testing import run_django_script
from phoneref.core.tests.pages import field_error
from phoneref.sms import backends as sms

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/v1/auth/request-code/"
VERIFY_URL = "/api/v1/auth/verify-code/"


def post(client, url, body):
    return client.post(url, body, format="json")


@pytest.mark.parametrize(
    ("phone", "kind"),
    [
        ("+78091234567", "premium rate"),
        ("+78001234567", "toll free"),
        ("+74951234567", "fixed line"),
        ("+79161234567", "mobile"),
    ],
)
def test_only_mobile_numbers_get_a_code(api_client, phone, kind):
    response = post(api_client, REQUEST_URL, {"phone": phone})
    if kind == "mobile":
        assert response.status_code == 200
        assert sms.outbox[-1].phone == phone
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "phone_not_mobile"
        assert response.json()["errors"] == {"phone": [response.json()["detail"]]}
        assert sms.outbox == []


def test_the_allowed_number_types_are_a_setting(settings):
    settings.OTP_ALLOWED_NUMBER_TYPES = ["MOBILE", "FIXED_LINE"]
    assert login_code_request(phone="+74951234567", client_ip="10.0.0.1").phone == "+74951234567"


def test_a_number_of_another_country_is_refused_with_403(api_client):
    response = post(api_client, REQUEST_URL, {"phone": "+447400123456"})
    assert response.status_code == 403
    assert response.json()["code"] == "country_not_allowed"
    assert sms.outbox == []


def test_the_default_country_is_the_default_region_s():
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.OTP_ALLOWED_COUNTRIES)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings_test", "PHONE_DEFAULT_REGION": "KZ"}
    assert run_django_script(script, env).stdout.strip() == "['KZ']"


def test_only_the_listed_countries_get_codes(settings):
    settings.OTP_ALLOWED_COUNTRIES = ["GB", "KZ"]
    with pytest.raises(ServiceError) as refused:
        login_code_request(phone="+79161234567", client_ip="10.0.0.1")
    assert refused.value.code == "country_not_allowed"
    assert login_code_request(phone="+447400123456", client_ip="10.0.0.1").phone
    assert login_code_request(phone="+77012345678", client_ip="10.0.0.1").phone


def test_a_star_allows_every_country(settings):
    settings.OTP_ALLOWED_COUNTRIES = ["*"]
    assert login_code_request(phone="+33612345678", client_ip="10.0.0.1").phone == "+33612345678"


def test_verify_refuses_a_number_of_a_country_no_longer_allowed(api_client, settings):
    code = login_code_request(phone="+79161234567", client_ip="10.0.0.1").code
    settings.OTP_ALLOWED_COUNTRIES = ["KZ"]
    response = post(api_client, VERIFY_URL, {"phone": "+79161234567", "code": code})
    assert response.status_code == 403
    assert response.json()["code"] == "country_not_allowed"


def test_verify_answers_country_not_allowed_before_looking_at_the_code(api_client):
    response = post(api_client, VERIFY_URL, {"phone": "+447400123456", "code": "0000"})
    assert response.status_code == 403
    assert response.json()["code"] == "country_not_allowed"


def test_an_unknown_number_type_in_the_setting_fails_loudly(settings):
    settings.OTP_ALLOWED_NUMBER_TYPES = ["MOBILE", "CELL"]
    with pytest.raises(ImproperlyConfigured, match="CELL"):
        login_code_request(phone="+79161234567", client_ip="10.0.0.1")


def test_the_web_form_shows_the_refusal_beside_the_phone(client):
    response = client.post("/login/", {"phone": "8 800 123-45-67"})
    assert response.status_code == 200
    assert "mobile" in field_error(response, "phone")
