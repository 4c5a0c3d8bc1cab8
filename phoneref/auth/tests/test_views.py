"""The login pages through Django's test client: every refusal shown beside its field."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user
from django.test import Client
from django.utils import timezone

from phoneref.core.tests.pages import field_error, has_field_error, page_text
from phoneref.sms import backends as sms
from phoneref.users.models import User
from phoneref.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"
LOGIN_URL = "/login/"
VERIFY_URL = "/login/verify/"
RESEND_URL = "/login/resend/"


def request_code(client: Client, phone: str = PHONE) -> str:
    response = client.post(LOGIN_URL, {"phone": phone})
    assert response.status_code == 302, page_text(response)
    assert response["Location"] == VERIFY_URL
    return sms.outbox[-1].code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}"


# Login: the phone number


def test_the_login_page_is_never_cached(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'type="tel"' in page_text(response)


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "This field is required."),
        ("12", "Enter a valid phone number."),
        ("+7 999 123", "Enter a valid phone number."),
        ("☎️📞 номер", "Enter a valid phone number."),
        ("<script>alert(1)</script>", "Enter a valid phone number."),
        ("+7 916\x00123-45-67", "Null characters are not allowed."),
        ("9" * 5000, "Ensure this value has at most 32 characters (it has 5000)."),
    ],
)
def test_a_bad_phone_is_refused_beside_the_field(client, phone, message):
    response = client.post(LOGIN_URL, {"phone": phone})
    assert response.status_code == 200
    assert field_error(response, "phone") == message
    assert sms.outbox == []


def test_a_phone_in_any_common_format_sends_a_code_to_its_e164_form(client):
    request_code(client, "8 (916) 123-45-67")
    assert [message.phone for message in sms.outbox] == [PHONE]
    assert client.session["login_phone"] == PHONE


def test_a_second_code_within_the_cooldown_is_refused_beside_the_phone(client):
    request_code(client)
    response = client.post(LOGIN_URL, {"phone": PHONE})
    assert field_error(response, "phone") == ("Too many requests. Try again later. Wait 1 minute.")
    assert len(sms.outbox) == 1


def test_the_per_address_limit_applies_to_the_web_form_too(client, settings):
    settings.OTP_IP_SENDS_PER_HOUR = 1
    request_code(client)
    response = client.post(LOGIN_URL, {"phone": "+79161234568"})
    assert field_error(response, "phone").startswith("Too many requests. Try again later. Wait")


def test_the_login_page_speaks_russian_when_the_browser_asks(client):
    response = client.post(LOGIN_URL, {"phone": "12"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert '<html lang="ru">' in page_text(response)
    assert "Номер телефона" in page_text(response)
    assert field_error(response, "phone") == "Введите правильный номер телефона."


def test_the_language_switch_overrides_the_browser(client):
    client.post("/i18n/setlang/", {"language": "ru", "next": LOGIN_URL})
    response = client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert "Вход и регистрация" in page_text(response)


def test_a_signed_in_user_is_sent_from_login_to_the_profile(client):
    client.force_login(UserFactory.create())
    response = client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_forms_are_protected_against_cross_site_requests():
    response = Client(enforce_csrf_checks=True).post(LOGIN_URL, {"phone": PHONE})
    assert response.status_code == 403
    assert sms.outbox == []


# Verify: the code


def test_the_code_page_without_a_requested_code_goes_back_to_login(client):
    response = client.get(VERIFY_URL)
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "This field is required."),
        ("12ab", "Enter the 4-digit code from the message."),
        ("١٢٣٤", "Enter the 4-digit code from the message."),
        ("123", "Enter the 4-digit code from the message."),
        ("9" * 5000, "Ensure this value has at most 16 characters (it has 5000)."),
    ],
)
def test_a_malformed_code_is_refused_beside_the_field(client, code, message):
    request_code(client)
    response = client.post(VERIFY_URL, {"code": code})
    assert response.status_code == 200
    assert field_error(response, "code") == message
    assert not get_user(client).is_authenticated


def test_a_wrong_code_says_how_many_tries_are_left(client):
    code = request_code(client)
    response = client.post(VERIFY_URL, {"code": wrong(code)})
    assert (
        field_error(response, "code")
        == "The code is wrong or has expired. Check it, or request a new one. 9 tries left."
    )
    assert not User.objects.exists()


def test_wrong_codes_end_in_a_refusal_beside_the_code_field(client):
    code = request_code(client)
    for _ in range(9):
        client.post(VERIFY_URL, {"code": wrong(code)})
    last_try = client.post(VERIFY_URL, {"code": wrong(code)})
    assert field_error(last_try, "code") == (
        "The code is wrong or has expired. Check it, or request a new one. "
        "No tries left for this number today from your network."
    )
    refused = client.post(VERIFY_URL, {"code": code})
    assert field_error(refused, "code").startswith(
        "Too many wrong codes from your network. Try again later. Wait"
    )
    assert not get_user(client).is_authenticated


def test_an_expired_code_is_refused_beside_the_field(client):
    code = request_code(client)
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        response = client.post(VERIFY_URL, {"code": code})
    assert (
        field_error(response, "code")
        == "The code is wrong or has expired. Check it, or request a new one. 9 tries left."
    )


def test_a_wrong_code_in_russian(client):
    code = request_code(client)
    response = client.post(VERIFY_URL, {"code": wrong(code)}, HTTP_ACCEPT_LANGUAGE="ru")
    assert field_error(response, "code") == (
        "Код неверный или устарел. Проверьте его или запросите новый. Осталось 9 попыток."
    )


def test_the_right_code_creates_the_user_and_signs_in(client):
    code = request_code(client)
    response = client.post(VERIFY_URL, {"code": code}, follow=True)
    assert response.redirect_chain == [("/profile/", 302)]
    assert get_user(client).get_username() == PHONE
    assert "Welcome! Your account is ready." in page_text(response)
    assert "login_phone" not in client.session


def test_a_returning_user_is_welcomed_back(client):
    UserFactory.create(phone=PHONE)
    code = request_code(client)
    response = client.post(VERIFY_URL, {"code": code}, follow=True)
    assert "Welcome back!" in page_text(response)
    assert User.objects.count() == 1


def test_an_invite_code_given_at_sign_up_is_activated(client):
    referrer = UserFactory.create()
    code = request_code(client)
    typed = f"{referrer.invite_code[:3].lower()}-{referrer.invite_code[3:]}"
    response = client.post(VERIFY_URL, {"code": code, "invite_code": typed}, follow=True)
    assert f"Invite code {referrer.invite_code} activated." in page_text(response)
    assert User.objects.get(phone=PHONE).referred_by == referrer


@pytest.mark.parametrize(
    ("invite_code", "message"),
    [
        ("ZZZZZZ", "There is no user with this invite code."),
        ("not a code!", "An invite code is 6 letters and digits, never 0, O, 1, I or L."),
    ],
)
def test_a_bad_invite_code_at_sign_up_does_not_block_the_login(client, invite_code, message):
    code = request_code(client)
    response = client.post(VERIFY_URL, {"code": code, "invite_code": invite_code}, follow=True)
    assert get_user(client).is_authenticated
    assert "You are signed in, but the invite code was not activated." in page_text(response)
    assert field_error(response, "invite_code") == message
    assert f'value="{invite_code}"' in page_text(response)
    # Shown once: the next visit offers an empty form.
    assert not has_field_error(client.get("/profile/"), "invite_code")


def test_an_invite_code_longer_than_any_code_is_refused_before_logging_in(client):
    code = request_code(client)
    response = client.post(VERIFY_URL, {"code": code, "invite_code": "K" * 33})
    assert field_error(response, "invite_code") == (
        "Ensure this value has at most 32 characters (it has 33)."
    )
    assert not get_user(client).is_authenticated


def test_demo_mode_shows_the_code_on_the_page(client, settings):
    settings.DEMO_MODE = True
    code = request_code(client)
    assert f'<strong class="mono" data-demo-code>{code}</strong>' in page_text(
        client.get(VERIFY_URL)
    )


def test_outside_demo_mode_the_code_is_never_on_the_page(client):
    code = request_code(client)
    page = page_text(client.get(VERIFY_URL))
    assert "data-demo-code" not in page
    assert code not in page


# Resend


def test_the_code_page_counts_down_to_the_next_code(client):
    request_code(client)
    assert 'data-resend-in="60"' in page_text(client.get(VERIFY_URL))
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        page = page_text(client.get(VERIFY_URL))
    assert 'data-resend-in="30"' in page
    assert "You can ask for a new code in" in page
    assert ">0:30</span>" in page


def test_a_new_code_within_the_cooldown_is_refused_beside_the_resend_button(client):
    request_code(client)
    response = client.post(RESEND_URL, follow=True)
    assert response.redirect_chain == [(VERIFY_URL, 302)]
    assert (
        '<p class="field-error" id="resend-error" role="alert">'
        "Too many requests. Try again later. Wait 1 minute.</p>"
    ) in page_text(response)
    assert len(sms.outbox) == 1
    # Shown once.
    assert 'id="resend-error"' not in page_text(client.get(VERIFY_URL))


def test_a_new_code_after_the_cooldown_replaces_the_old_one(client, monkeypatch):
    codes = iter(["1111", "2222"])
    monkeypatch.setattr("phoneref.auth.services.login_code_generate", lambda: next(codes))
    request_code(client)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = client.post(RESEND_URL, follow=True)
        assert "A new code has been sent." in page_text(response)
        assert [message.code for message in sms.outbox] == ["1111", "2222"]
        refused = client.post(VERIFY_URL, {"code": "1111"})
        assert (
            field_error(refused, "code")
            == "The code is wrong or has expired. Check it, or request a new one. 9 tries left."
        )
        assert client.post(VERIFY_URL, {"code": "2222"}).status_code == 302


def test_resend_without_a_requested_code_goes_back_to_login(client):
    response = client.post(RESEND_URL)
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert sms.outbox == []


def test_resend_answers_only_post(client):
    assert client.get(RESEND_URL).status_code == 405


# Logout


def test_logout_answers_only_post(client):
    client.force_login(UserFactory.create())
    assert client.get("/logout/").status_code == 405
    assert get_user(client).is_authenticated


def test_logout_ends_the_session(client):
    client.force_login(UserFactory.create())
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain == [(LOGIN_URL, 302)]
    assert "You have logged out." in page_text(response)
    assert not get_user(client).is_authenticated
