"""Signing up and in through the browser: the happy path, wrong codes, resending, logging out."""

import re

from playwright.sync_api import Page, expect

from e2e.steps import demo_code, request_code, sign_in, submit_code


def test_a_new_user_signs_up_and_sees_the_profile(page: Page):
    page.goto("/")
    expect(page).to_have_url("/login/")
    expect(page.get_by_role("heading", name="Log in or sign up")).to_be_visible()
    page.get_by_label("Phone number").fill("8 (916) 555-01-01")
    page.get_by_role("button", name="Get a code").click()

    expect(page).to_have_url("/login/verify/")
    expect(page.get_by_text("We sent a code to +79165550101.")).to_be_visible()
    code = demo_code(page)
    assert re.fullmatch(r"[0-9]{4}", code)
    expect(page.get_by_label("Code from the message")).to_be_focused()
    page.get_by_label("Code from the message").fill(code)
    page.get_by_role("button", name="Log in", exact=True).click()

    expect(page).to_have_url("/profile/")
    expect(page.get_by_role("status").first).to_have_text("Welcome! Your account is ready.")
    expect(page.locator("#profile-phone")).to_have_text("+79165550101")
    invite_code = page.locator("#own-code").inner_text()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", invite_code)
    expect(page.get_by_label("Your invite link")).to_have_value(
        f"http://phoneref.test/i/{invite_code}/"
    )
    expect(page.get_by_role("img", name="QR code of your invite link")).to_be_visible()
    expect(page.locator("#referrals-count")).to_have_text("0 people in total")


def test_the_copy_button_puts_the_invite_code_on_the_clipboard(page: Page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, "+79165550102")
    page.get_by_role("button", name="Copy code").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#own-code").inner_text()


def test_a_wrong_code_is_explained_beside_the_field_and_focused(page: Page):
    request_code(page, "+79165550103")
    code = demo_code(page)
    submit_code(page, f"{(int(code) + 1) % 10000:04d}")
    field = page.get_by_label("Code from the message")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(field).to_have_accessible_description(
        "The code is wrong or has expired. Check it, or request a new one. 9 tries left."
    )
    expect(page).to_have_title("Error: Enter the code · Phoneref")
    submit_code(page, code)
    expect(page).to_have_url("/profile/")


def test_the_resend_button_counts_down_the_cooldown(page: Page, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 3
    request_code(page, "+79165550104")
    resend = page.get_by_role("button", name="Send a new code")
    expect(resend).to_be_disabled()
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"0:0[23]"))
    expect(page.locator("[data-countdown]")).to_have_text("0:01", timeout=4_000)
    expect(resend).to_be_enabled(timeout=3_000)
    expect(page.get_by_text("Did not get it? Ask for a new code.")).to_be_visible()
    resend.click()
    expect(page.get_by_text("A new code has been sent.")).to_be_visible()
    expect(resend).to_be_disabled()
    submit_code(page, demo_code(page))
    expect(page).to_have_url("/profile/")


def test_the_whole_flow_works_without_javascript(new_page):
    page = new_page(javascript=False)
    request_code(page, "+79165550105")
    # Without a script the button stays enabled; the server refuses and says how long to wait.
    page.get_by_role("button", name="Send a new code").click()
    expect(page.locator("#resend-error")).to_have_text(
        re.compile(r"Too many requests\. Try again later\. Wait (1 minute|\d+ seconds)\.")
    )
    submit_code(page, demo_code(page))
    expect(page).to_have_url("/profile/")
    page.locator("#id_invite_code").fill("ZZZZZZ")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("textbox", name="Invite code")).to_have_accessible_description(
        re.compile("There is no user with this invite code.")
    )


def test_logging_out_ends_the_session(page: Page):
    sign_in(page, "+79165550106")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url("/login/")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.goto("/profile/")
    expect(page).to_have_url("/login/?next=/profile/")
