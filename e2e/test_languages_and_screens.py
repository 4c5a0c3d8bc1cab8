"""Russian and English, chosen by the browser and by the switch; a phone-sized screen."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import MOBILE
from e2e.steps import demo_code, fits_the_screen, request_code, sign_in, submit_code


def test_a_russian_browser_gets_russian_pages_and_errors(new_page):
    page = new_page(locale="ru-RU")
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name="Вход и регистрация")).to_be_visible()
    page.get_by_label("Номер телефона").fill("12")
    page.get_by_role("button", name="Получить код").click()
    expect(page.get_by_role("textbox", name="Номер телефона")).to_have_accessible_description(
        "В любом формате, например +7 999 123-45-67 или 8 999 123-45-67. "
        "Введите правильный номер телефона."
    )
    request_code(page, "+79165550301")
    submit_code(page, "0000" if demo_code(page) != "0000" else "1111")
    expect(page.locator("#id_code_error")).to_have_text(
        "Код неверный или устарел. Проверьте его или запросите новый. Осталось 9 попыток."
    )


def test_the_language_switch_changes_the_language_and_keeps_the_page(new_page):
    page = new_page(locale="ru-RU")
    sign_in(page, "+79165550302")
    expect(page.get_by_role("heading", name="Ваш профиль")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url("/profile/")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", name="Ваш профиль")).to_be_visible()


@pytest.mark.parametrize(
    ("locale", "phone"), [("en-US", "+79165550303"), ("ru-RU", "+79165550304")]
)
def test_every_page_fits_a_375_pixel_screen(new_page, locale, phone):
    page = new_page(viewport=MOBILE, locale=locale)
    page.goto("/login/")
    assert fits_the_screen(page)
    request_code(page, phone)
    assert fits_the_screen(page)
    submit_code(page, demo_code(page))
    expect(page).to_have_url("/profile/")
    assert fits_the_screen(page)
    for element in ("#own-code", "#invite-link", ".qr svg", "#id_invite_code"):
        box = page.locator(element).bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= MOBILE["width"]
