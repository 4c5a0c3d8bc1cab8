"""Every page works under its content security policy: the browser blocks nothing of ours.

The policy forbids inline scripts and styles and every other host. A violation on our own
files or inline code would mean a broken page in production; ReDoc's attempt to fetch its
vendor's logo from a CDN is the one block the docs page expects.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import BASE_URL
from e2e.steps import demo_code, own_invite_code, request_code, submit_code

RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


def own_violations(page: Page) -> list[str]:
    """Violations of inline code or of files from this server: the ones that break pages."""
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.cspViolations")
    return [v for v in violations if not v.split(" ", 1)[1].startswith(("http://", "https://"))]


@pytest.fixture
def watched_page(page: Page) -> Page:
    page.context.add_init_script(RECORD_VIOLATIONS)
    return page


def test_the_sign_in_pages_and_the_profile_break_no_rule(watched_page: Page):
    page = watched_page
    page.goto("/login/")
    assert own_violations(page) == []
    request_code(page, "+79161230001")
    assert own_violations(page) == []
    submit_code(page, demo_code(page))
    expect(page.locator("#own-code")).to_be_visible()
    assert own_violations(page) == []
    page.goto(f"/i/{own_invite_code(page)}/")
    assert own_violations(page) == []


@pytest.mark.parametrize("path", ["/admin/login/", "/no-such-page/"])
def test_other_pages_break_no_rule(watched_page: Page, path: str):
    watched_page.goto(path)
    assert own_violations(watched_page) == []


@pytest.fixture
def docs_page(browser: Browser) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A page for the API docs, with the requests to other hosts it made and saw fail.

    ReDoc reaches for its vendor's logo on a CDN; the policy must stop it in the browser.
    """
    context = browser.new_context(base_url=BASE_URL)
    context.add_init_script(RECORD_VIOLATIONS)
    elsewhere: list[str] = []
    blocked: list[str] = []
    context.on("request", lambda r: elsewhere.append(r.url) if _other_host(r.url) else None)
    context.on("requestfailed", lambda r: blocked.append(r.url) if _other_host(r.url) else None)
    yield context.new_page(), elsewhere, blocked
    context.close()


def _other_host(url: str) -> bool:
    return not url.startswith((f"{BASE_URL}/", "data:", "blob:"))


def test_redoc_renders_the_api_under_its_policy(docs_page):
    page, elsewhere, blocked = docs_page
    page.goto("/api/docs/")
    expect(page.get_by_text("Phone login and referral API").first).to_be_visible()
    assert own_violations(page) == []
    assert elsewhere == blocked


def test_swagger_ui_renders_the_operations_under_its_policy(docs_page):
    page, elsewhere, _ = docs_page
    page.goto("/api/docs/swagger/")
    expect(page.locator(".opblock").first).to_be_visible()
    assert own_violations(page) == []
    assert elsewhere == []
