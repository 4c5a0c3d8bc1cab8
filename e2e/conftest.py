"""Browser tests: Playwright drives the system's Chromium against pytest-django's live server.

The browser reaches the server as http://phoneref.test (a host-resolver rule maps that name to
the live server's port), so pages, share links and QR codes in screenshots do not change with
the random port from run to run.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

# Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM
# calls from a thread with a running loop; the fixtures' queries are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
HOST = "phoneref.test"
BASE_URL = f"http://{HOST}"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 812}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser(live_server) -> Iterator[Browser]:
    port = live_server.url.rsplit(":", 1)[1]
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1:{port}",
        # The clipboard API needs a secure context; production is served over HTTPS.
        f"--unsafely-treat-insecure-origin-as-secure={BASE_URL}",
    ]
    # CI installs Debian's chromium; elsewhere fall back to a browser Playwright manages.
    executable = CHROMIUM if Path(CHROMIUM).exists() else None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _e2e_settings(settings, live_server) -> None:
    """Demo mode, as a tester would run it; every page comes from one address, so no IP cap."""
    settings.ALLOWED_HOSTS = [HOST, "localhost"]
    settings.DEMO_MODE = True
    settings.OTP_IP_SENDS_PER_HOUR = 0


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh browser profile: its own cookies, viewport and language.

    Every request the pages make is watched: none may go to another host.
    """
    contexts = []
    elsewhere: list[str] = []

    def note_other_hosts(request: Request) -> None:
        if not request.url.startswith((f"{BASE_URL}/", "data:", "blob:")):
            elsewhere.append(request.url)

    def open_page(*, viewport=DESKTOP, locale="en-US", javascript=True) -> Page:
        context = browser.new_context(
            base_url=BASE_URL,
            viewport=viewport,
            locale=locale,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        context.on("request", note_other_hosts)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert elsewhere == [], "the pages loaded something from another host"


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
