"""What a person does on the site, step by step, in any language (by element, not by text)."""

from playwright.sync_api import Page, expect


def request_code(page: Page, phone: str) -> None:
    page.goto("/login/")
    page.locator("#id_phone").fill(phone)
    page.locator("form[action='/login/'] button[type=submit]").click()
    expect(page).to_have_url("/login/verify/")


def submit_code(page: Page, code: str) -> None:
    page.locator("#id_code").fill(code)
    page.locator("form[action='/login/verify/'] button[type=submit]").click()


def demo_code(page: Page) -> str:
    return page.locator("[data-demo-code]").inner_text()


def sign_in(page: Page, phone: str) -> None:
    request_code(page, phone)
    submit_code(page, demo_code(page))
    expect(page).to_have_url("/profile/")


def own_invite_code(page: Page) -> str:
    return page.locator("#own-code").inner_text()


def fits_the_screen(page: Page) -> bool:
    """Nothing sticks out sideways, so the page never scrolls horizontally."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
