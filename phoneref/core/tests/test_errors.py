import pytest

from phoneref.core.errors import Problem, problems


def all_problems() -> list[Problem]:
    return [p for p in vars(problems).values() if isinstance(p, Problem)]


def test_problem_codes_are_unique_and_snake_case():
    codes = [p.code for p in all_problems()]
    assert len(codes) == len(set(codes))
    assert all(code.replace("_", "").isalpha() and code.islower() for code in codes)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("invalid_phone", 400),
        ("invalid_input", 400),
        ("invalid_code", 400),
        ("too_many_attempts", 429),
        ("too_many_requests", 429),
        ("invite_code_not_found", 400),
        ("invite_code_is_own", 400),
        ("invalid_invite_code", 400),
        ("invite_code_already_activated", 409),
        ("referral_cycle", 409),
        ("not_authenticated", 401),
        ("invalid_token", 401),
        ("phone_not_mobile", 400),
        ("captcha_required", 400),
        ("captcha_failed", 400),
        ("country_not_allowed", 403),
    ],
)
def test_the_spec_codes_have_the_spec_statuses(code, status):
    assert {p.code: p.status for p in all_problems()}[code] == status


def test_web_pages_answer_404_in_html_and_the_api_in_problem_json(client, db):
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    api = client.get("/api/v1/no-such-endpoint/")
    assert api.status_code == 404
    assert api["Content-Type"] == "application/problem+json"
    assert api.json()["code"] == "not_found"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint/", "/api/v1/profile", "/api/"])
def test_an_unknown_api_url_is_the_not_found_problem_with_debug_on_too(
    client, db, settings, method, path
):
    settings.DEBUG = True
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.content == (
        b'{"type":"urn:phoneref:problem:not_found","title":"Nothing is here.","status":404,'
        b'"detail":"Nothing is here.","code":"not_found"}'
    )
