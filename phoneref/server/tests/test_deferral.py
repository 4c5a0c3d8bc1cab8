"""The deferred SMS wait of the real views, through the bridge and Django's WSGI handler: the
views' threads and database connections are the pool's, so the tests commit for real."""

import json
import re
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from asgiref.sync import iscoroutinefunction
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.urls import get_resolver

from phoneref.auth.models import PhoneLogin
from phoneref.core.errors import problems
from phoneref.server.app import WsgiBridge
from phoneref.server.tests.test_app import call
from phoneref.sms import backends as sms
from phoneref.sms.backends import BaseSmsBackend, SmsError
from phoneref.sms.breaker import breaker_forget

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+79161234567"
CSRF_SECRET = "a" * 32
HOST = [(b"host", b"localhost")]


class RefusingBackend(BaseSmsBackend):
    async def send(self, message):
        raise SmsError("test_refused", transient=False)


def replace_response(get_response):
    """A middleware that answers with a new response of its own, as many do."""

    def middleware(request):
        response = get_response(request)
        copy = HttpResponse(response.content, status=response.status_code)
        for name, value in response.items():
            copy[name] = value
        copy.cookies = response.cookies
        return copy

    return middleware


@pytest.fixture
def sms_down(settings):
    settings.SMS_BACKEND = f"{__name__}.RefusingBackend"
    breaker_forget()
    yield
    breaker_forget()


@pytest.fixture
def bridge(settings):
    def make() -> WsgiBridge:
        # Django reads MIDDLEWARE when its handler is made: after the test's settings.
        return WsgiBridge(wsgi_app=WSGIHandler(), threads=2, max_body_bytes=64 * 1024)

    return make


def post_json(app, path: str, data: dict) -> SimpleNamespace:
    body = json.dumps(data).encode()
    headers = [*HOST, (b"content-type", b"application/json")]
    return call(app, path, chunks=(body,), headers=headers)


def post_form(app, path: str, data: dict, cookies: str = "") -> SimpleNamespace:
    body = urlencode({"csrfmiddlewaretoken": CSRF_SECRET, **data}).encode()
    cookie = f"csrftoken={CSRF_SECRET}; {cookies}".strip("; ")
    headers = [
        *HOST,
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"cookie", cookie.encode()),
    ]
    return call(app, path, chunks=(body,), headers=headers)


def get_page(app, path: str, cookies: str) -> str:
    headers = [*HOST, (b"cookie", cookies.encode())]
    response = call(app, path, method="GET", headers=headers)
    assert response.status == 200
    return response.body.decode()


def cookies_of(response) -> str:
    """The cookies a browser would send back after `response`."""
    pairs = []
    for name, value in response.messages[0]["headers"]:
        if name == b"set-cookie":
            pair = value.decode().split(";", 1)[0].strip()
            if not pair.endswith("="):
                pairs.append(pair)
    return "; ".join(pairs)


def test_a_middleware_that_replaces_the_response_still_waits_for_the_sms(bridge, settings):
    settings.MIDDLEWARE = [f"{__name__}.replace_response", *settings.MIDDLEWARE]
    response = post_json(bridge(), "/api/v1/auth/request-code/", {"phone": PHONE})
    assert response.status == 200
    assert [message.phone for message in sms.outbox] == [PHONE]


def test_a_middleware_that_replaces_the_response_cannot_hide_a_refused_sms(
    bridge, settings, sms_down
):
    settings.MIDDLEWARE = [f"{__name__}.replace_response", *settings.MIDDLEWARE]
    response = post_json(bridge(), "/api/v1/auth/request-code/", {"phone": PHONE})
    assert response.status == 503
    assert response.headers[b"content-type"] == b"application/problem+json"
    assert b"retry-after" in response.headers
    assert b"x-request-id" in response.headers
    body = json.loads(response.body)
    assert body["code"] == "sms_unavailable"
    assert body["detail"] == str(problems.SMS_UNAVAILABLE.title)
    # Taken back: the phone has no live code, as if the request had not been made.
    assert not PhoneLogin.objects.get(phone=PHONE).code_digest


def test_the_api_s_late_refusal_is_the_problem_the_exception_handler_makes(
    bridge, client, sms_down
):
    late = post_json(bridge(), "/api/v1/auth/request-code/", {"phone": PHONE})
    in_place = client.post(
        "/api/v1/auth/request-code/", {"phone": PHONE}, content_type="application/json"
    )
    assert late.status == in_place.status_code == 503
    assert json.loads(late.body) == in_place.json()
    assert late.headers[b"retry-after"] == in_place["Retry-After"].encode()


def test_the_login_page_sent_back_by_a_refused_sms_says_why_and_keeps_the_number(bridge, sms_down):
    app = bridge()
    response = post_form(app, "/login/", {"phone": PHONE})
    assert response.status == 302
    assert response.headers[b"location"] == b"/login/"
    page = get_page(app, "/login/", cookies_of(response))
    assert str(problems.SMS_UNAVAILABLE.title) in page
    assert re.search(rf'name="phone"[^>]*value="\{PHONE}"', page)
    assert not PhoneLogin.objects.get(phone=PHONE).code_digest


def test_a_refused_resend_goes_back_to_the_code_page_without_saying_a_code_was_sent(
    bridge, settings
):
    app = bridge()
    first = post_form(app, "/login/", {"phone": PHONE})
    assert first.headers[b"location"] == b"/login/verify/"
    session = cookies_of(first)
    settings.SMS_BACKEND = f"{__name__}.RefusingBackend"
    settings.OTP_RESEND_COOLDOWN_SECONDS = 0
    breaker_forget()
    try:
        resent = post_form(app, "/login/resend/", {}, cookies=session)
    finally:
        breaker_forget()
    assert resent.status == 302
    assert resent.headers[b"location"] == b"/login/verify/"
    page = get_page(app, "/login/verify/", f"{session}; {cookies_of(resent)}")
    assert str(problems.SMS_UNAVAILABLE.title) in page
    assert "A new code has been sent." not in page


def test_every_view_is_sync_so_each_request_makes_one_thread_hop():
    def views(resolver):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern)
            else:
                yield pattern.callback

    assert [view for view in views(get_resolver()) if iscoroutinefunction(view)] == []
