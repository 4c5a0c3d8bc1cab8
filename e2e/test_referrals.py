"""Invite codes through the browser: by the profile form, by a shared link, and the list."""

from playwright.sync_api import Page, expect

from e2e.steps import demo_code, own_invite_code, sign_in, submit_code
from phoneref.users.models import User
from phoneref.users.tests.factories import referees_bulk


def test_an_invite_code_entered_on_the_profile_shows_up_for_both_users(new_page):
    referrer, referee = new_page(), new_page()
    sign_in(referrer, "+79165550201")
    code = own_invite_code(referrer)

    sign_in(referee, "+79165550202")
    form_field = referee.get_by_role("textbox", name="Invite code")
    form_field.fill("ZZZZZZ")
    referee.get_by_role("button", name="Activate").click()
    expect(form_field).to_have_accessible_description(
        "Six letters and digits, for example K7M2QX. There is no user with this invite code."
    )
    form_field.fill(f"{code[:3].lower()}-{code[3:].lower()}")
    referee.get_by_role("button", name="Activate").click()
    expect(referee.get_by_text(f"Invite code {code} activated.")).to_be_visible()
    expect(referee.locator("#activated-code")).to_have_text(code)
    expect(referee.get_by_role("textbox", name="Invite code")).to_have_count(0)

    referrer.reload()
    expect(referrer.locator("#referrals-count")).to_have_text("1 person in total")
    expect(referrer.locator(".referrals li")).to_have_count(1)
    expect(referrer.locator(".referrals li").first).to_contain_text("+79165550202")


def test_a_referral_link_carries_the_code_through_sign_up(new_page):
    referrer = new_page()
    sign_in(referrer, "+79165550203")
    link = referrer.get_by_label("Your invite link").input_value()
    code = own_invite_code(referrer)

    friend = new_page()
    friend.goto(link.lower().replace("http://phoneref.test", ""))
    expect(friend.get_by_role("heading", name="You are invited")).to_be_visible()
    expect(friend.locator("#landing-code")).to_have_text(code)
    friend.get_by_label("Phone number").fill("+7 916 555-02-04")
    friend.get_by_role("button", name="Get a code").click()
    expect(friend).to_have_url("/login/verify/")
    expect(friend.get_by_role("textbox", name="Invite code")).to_have_value(code)
    submit_code(friend, demo_code(friend))

    expect(friend).to_have_url("/profile/")
    expect(friend.get_by_text(f"Invite code {code} activated.")).to_be_visible()
    expect(friend.locator("#activated-code")).to_have_text(code)

    referrer.reload()
    expect(referrer.locator(".referrals li").first).to_contain_text("+79165550204")


def test_a_broken_referral_link_says_so(page: Page):
    response = page.goto("/i/NOT-A-CODE-0000/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This invite link does not work")).to_be_visible()
    page.get_by_role("link", name="Continue without an invite").click()
    expect(page).to_have_url("/login/")


def test_the_pager_walks_older_and_back_newer(page: Page):
    sign_in(page, "+79165550205")
    phones = referees_bulk(User.objects.get(phone="+79165550205"), 25)
    newest_first = phones[::-1]
    page.reload()
    referrals = page.locator(".referrals li .mono")
    expect(page.locator("#referrals-count")).to_have_text("25 people in total")
    expect(referrals).to_have_text(newest_first[:20])

    page.get_by_role("link", name="Older →").click()
    expect(referrals).to_have_text(newest_first[20:])
    expect(page.get_by_role("link", name="Older →")).to_have_count(0)

    page.get_by_role("link", name="← Newer").click()
    expect(referrals).to_have_text(newest_first[:20])
    expect(page.get_by_role("link", name="← Newer")).to_have_count(0)
