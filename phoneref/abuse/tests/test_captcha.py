"""The optional bot check, against a local siteverify endpoint on a real socket."""

import pytest

from phoneref.abuse.tests.siteverify import FakeSiteverify
from phoneref.core.tests.pages import field_error
from phoneref.sms import backends as sms

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/v1/auth/request-code/"
PHONE = "+79161234567"


@pytest.fixture(params=["turnstile", "hcaptcha"])
def siteverify(request, settings):
    fake = FakeSiteverify(provider=request.param, secret="test-secret", site_key="test-site-key")
    fake.start()
    settings.CAPTCHA_PROVIDER = request.param
    settings.CAPTCHA_SITE_KEY = "test-site-key"
    settings.CAPTCHA_SECRET_KEY = "test-secret"
    settings.CAPTCHA_VERIFY_URL = fake.url
    yield fake
    fake.stop()


def ask(client, **body):
    return client.post(REQUEST_URL, {"phone": PHONE, **body}, format="json")


def test_without_a_token_the_code_request_is_refused(api_client, siteverify):
    response = ask(api_client)
    assert response.status_code == 400
    assert response.json()["code"] == "captcha_required"
    assert "captcha_token" in response.json()["errors"]
    assert ask(api_client, captcha_token="").json()["code"] == "captcha_required"
    assert siteverify.received == []
    assert sms.outbox == []


def test_a_good_token_is_verified_with_the_client_address_and_the_code_sent(api_client, siteverify):
    response = ask(api_client, captcha_token=siteverify.issue("good-token"))
    assert response.status_code == 200
    (form,) = siteverify.received
    assert form["secret"] == "test-secret"
    assert form["response"] == "good-token"
    assert form["remoteip"] == "127.0.0.1"
    if siteverify.provider == "hcaptcha":
        assert form["sitekey"] == "test-site-key"
    assert sms.outbox[-1].phone == PHONE


def test_a_token_the_provider_refuses_fails_and_sends_nothing(api_client, siteverify):
    response = ask(api_client, captcha_token="made-up")
    assert response.status_code == 400
    assert response.json()["code"] == "captcha_failed"
    assert sms.outbox == []


def test_a_token_works_once(api_client, siteverify):
    token = siteverify.issue("once")
    assert ask(api_client, captcha_token=token).status_code == 200
    second = api_client.post(
        REQUEST_URL, {"phone": "+79161234568", "captcha_token": token}, format="json"
    )
    assert second.json()["code"] == "captcha_failed"


def test_the_provider_down_refuses_by_default(api_client, siteverify):
    siteverify.stop()
    response = ask(api_client, captcha_token="any")
    assert response.status_code == 400
    assert response.json()["code"] == "captcha_failed"
    assert "could not be made" in response.json()["detail"]
    assert sms.outbox == []


def test_the_provider_answering_500_counts_as_down(api_client, siteverify):
    siteverify.failing_with = 500
    assert ask(api_client, captcha_token="any").json()["code"] == "captcha_failed"


def test_the_provider_down_lets_requests_through_when_set_to_fail_open(
    api_client, siteverify, settings
):
    settings.CAPTCHA_FAIL_OPEN = True
    siteverify.stop()
    assert ask(api_client, captcha_token="any").status_code == 200
    assert sms.outbox[-1].phone == PHONE


def test_fail_open_never_lets_a_refused_token_through(api_client, siteverify, settings):
    settings.CAPTCHA_FAIL_OPEN = True
    assert ask(api_client, captcha_token="made-up").json()["code"] == "captcha_failed"


WIDGETS = {
    "turnstile": ("https://challenges.cloudflare.com/turnstile/v0/api.js", "cf-turnstile"),
    "hcaptcha": ("https://js.hcaptcha.com/1/api.js", "h-captcha"),
}


def directive(policy: str, name: str) -> list[str]:
    return next(d.split()[1:] for d in policy.split("; ") if d.split()[0] == name)


def test_the_login_page_loads_the_widget_with_the_policy_opened_for_its_provider(
    client, siteverify, settings
):
    response = client.get("/login/")
    page = response.content.decode()
    script, css_class = WIDGETS[siteverify.provider]
    assert f'<script src="{script}" async defer>' in page
    assert f'class="captcha {css_class}" data-sitekey="test-site-key"' in page
    policy = response["Content-Security-Policy"]
    origin = script.split("/")[2]
    if siteverify.provider == "turnstile":
        opened = {"script-src", "frame-src"}
    else:
        origin = "*.hcaptcha.com"
        opened = {"script-src", "frame-src", "style-src", "connect-src"}
    for name in opened:
        assert directive(policy, name)[0] == "'self'" or name == "frame-src"
        assert f"https://{origin}" in directive(policy, name)
    # Everything else stays as strict as the site's own policy.
    site = settings.CONTENT_SECURITY_POLICY
    for name in ("default-src", "img-src", "object-src", "form-action", "frame-ancestors"):
        assert directive(policy, name) == directive(site, name)


def test_pages_without_the_form_keep_the_site_s_policy(client, siteverify, settings):
    assert client.get("/healthz")["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_the_web_form_checks_the_token_and_sends_the_code(client, siteverify):
    field = "cf-turnstile-response" if siteverify.provider == "turnstile" else "h-captcha-response"
    refused = client.post("/login/", {"phone": PHONE, field: "made-up"})
    assert refused.status_code == 200
    assert "human" in field_error(refused, "phone")
    sent = client.post("/login/", {"phone": PHONE, field: siteverify.issue("web-token")})
    assert sent.status_code == 302
    assert sms.outbox[-1].phone == PHONE
    assert siteverify.received[-1]["remoteip"] == "127.0.0.1"


def test_without_a_provider_nothing_changes_and_nothing_third_party_loads(client, settings):
    response = client.get("/login/")
    assert "https://" not in response.content.decode().split("<body", 1)[1].split("</form>")[0]
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert client.post("/login/", {"phone": PHONE}).status_code == 302
