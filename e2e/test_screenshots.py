"""Screenshots of the login, code and profile pages on a desktop and a phone, for the README.

Everything on them is fixed (phone numbers, codes, dates, host), so a run that changes nothing
on the pages writes the same pictures again.
"""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from e2e.conftest import DESKTOP, MOBILE
from e2e.steps import request_code, submit_code
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory

PHONE = "+79991234567"
INVITE_CODE = "K7M2QX"
LOGIN_CODE = "4821"
REFERRAL_PHONES = ["+79160000001", "+79160000002", "+79160000003"]


@pytest.fixture
def showcase_account(monkeypatch) -> None:
    """A user who has invited three people; the next login code is always the same."""
    user = UserFactory.create(phone=PHONE, date_joined=datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    User.objects.filter(pk=user.pk).update(invite_code=INVITE_CODE)
    for day, phone in enumerate(REFERRAL_PHONES, start=20):
        invite_code_activate(
            user=UserFactory.create(phone=phone),
            invite_code=INVITE_CODE,
            now=datetime(2026, 11, day, 18, 5, tzinfo=UTC),
        )
    monkeypatch.setattr("phoneref.auth.services.login_code_generate", lambda: LOGIN_CODE)


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("mobile", MOBILE)])
def test_screenshots_of_the_main_pages(new_page, screenshots, showcase_account, device, viewport):
    page = new_page(viewport=viewport)
    page.goto("/login/")
    page.screenshot(path=screenshots / f"login-{device}.png", full_page=True)

    request_code(page, PHONE)
    expect(page.locator("[data-countdown]")).to_have_text("1:00")
    page.screenshot(path=screenshots / f"verify-{device}.png", full_page=True)

    submit_code(page, LOGIN_CODE)
    expect(page).to_have_url("/profile/")
    # Again, without the one-off welcome message.
    page.reload()
    expect(page.locator("#referrals-count")).to_have_text("3 people in total")
    page.screenshot(path=screenshots / f"profile-{device}.png", full_page=True)
