"""/metrics: private, and counting requests, code sends, logins and activations."""

import pytest
from prometheus_client import REGISTRY

from phoneref.server.tests.test_app import call, router

TOKEN = "metrics-test-token-0123456789"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, token: str | None = TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/metrics", **headers)


def test_without_a_token_setting_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    assert scrape(client).status_code == 404


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x"])
def test_a_scraper_without_the_token_is_refused(client, settings, token):
    settings.METRICS_TOKEN = TOKEN
    response = scrape(client, token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_scraper_reads_them_at_any_address_over_plain_http(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "phoneref_http_request_duration_seconds" in response.text
    internal = client.get(
        "/metrics", HTTP_HOST="10.0.3.7:9000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert internal.status_code == 200


def test_a_request_is_counted_under_its_route_pattern_not_its_path():
    before = value(
        "phoneref_http_request_duration_seconds_count",
        route="/i/<str:code>/",
        method="POST",
        status="201",
    )
    call(router(), "/i/K7M2QX/")
    call(router(), "/i/AAAAAA/")
    call(router(), "/no/such/page/")
    after = value(
        "phoneref_http_request_duration_seconds_count",
        route="/i/<str:code>/",
        method="POST",
        status="201",
    )
    assert after - before == 2
    assert value(
        "phoneref_http_request_duration_seconds_count",
        route="<unmatched>",
        method="POST",
        status="201",
    )


@pytest.mark.django_db
def test_sends_logins_activations_and_their_refusals_are_counted(api_client, sms_outbox):
    def counts() -> dict[str, float]:
        return {
            "sent": value("phoneref_login_code_sends_total"),
            "send_refused": value(
                "phoneref_login_code_send_refusals_total", reason="too_many_requests"
            ),
            "new_login": value("phoneref_logins_total", new_user="true"),
            "login_refused": value("phoneref_login_refusals_total", reason="invalid_code"),
            "activated": value("phoneref_invite_activations_total"),
            "activation_refused": value(
                "phoneref_invite_activation_refusals_total", code="invite_code_not_found"
            ),
        }

    before = counts()
    phone = "+79165550101"
    api_client.post("/api/v1/auth/request-code/", {"phone": phone}, format="json")
    api_client.post("/api/v1/auth/request-code/", {"phone": phone}, format="json")
    code = sms_outbox[-1].code
    wrong = "0000" if code != "0000" else "1111"
    api_client.post("/api/v1/auth/verify-code/", {"phone": phone, "code": wrong}, format="json")
    login = api_client.post(
        "/api/v1/auth/verify-code/",
        {"phone": phone, "code": code, "invite_code": "ZZZZZZ"},
        format="json",
    )
    assert login.status_code == 200, login.content
    after = counts()
    assert {key: after[key] - before[key] for key in after} == {
        "sent": 1,
        "send_refused": 1,
        "new_login": 1,
        "login_refused": 1,
        "activated": 0,
        "activation_refused": 1,
    }
