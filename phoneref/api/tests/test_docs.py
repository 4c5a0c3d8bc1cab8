"""The API documentation cannot drift from the code: the schema validates, covers every API URL
and every problem an operation can answer, and the docs pages use nothing but this server."""

import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from phoneref.core.errors import Problem, problems

PROBLEM_CONTENT_TYPE = "application/problem+json"
KNOWN_CODES = {p.code: p for p in vars(problems).values() if isinstance(p, Problem)}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def _url_paths(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_paths(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield "/" + prefix + str(pattern.pattern)


def test_the_schema_validates_with_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "schema.yml")


def test_every_api_url_is_in_the_schema_and_nothing_else(schema):
    api_urls = {p for p in _url_paths(get_resolver().url_patterns) if p.startswith("/api/v1/")}
    assert api_urls
    assert set(schema["paths"]) == api_urls


def test_every_operation_is_described_with_examples(schema):
    for name, operation in _operations(schema):
        assert operation.get("summary"), name
        assert operation.get("description"), name
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert body.get("examples"), f"{name}: request example"
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content is not None:
                assert content.get("examples"), f"{name}: {status} example"


def test_every_error_response_is_problem_details_with_an_example_per_code(schema):
    for name, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            assert list(response["content"]) == [PROBLEM_CONTENT_TYPE], f"{name} {status}"
            media = response["content"][PROBLEM_CONTENT_TYPE]
            assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
            examples = [example["value"] for example in media["examples"].values()]
            assert examples, f"{name} {status}"
            for example in examples:
                problem = KNOWN_CODES[example["code"]]
                assert example["status"] == problem.status == int(status)
                assert f"`{problem.code}`" in response["description"]


def _codes(operation: dict, status: str) -> set[str]:
    media = operation["responses"][status]["content"][PROBLEM_CONTENT_TYPE]
    return {example["value"]["code"] for example in media["examples"].values()}


def test_token_operations_document_the_bearer_scheme_and_both_refusals(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    protected = [
        (name, op) for name, op in _operations(schema) if op["security"] == [{"bearerAuth": []}]
    ]
    assert {name for name, _ in protected} == {
        "POST /api/v1/auth/logout/",
        "POST /api/v1/auth/logout-all/",
        "GET /api/v1/profile/",
        "POST /api/v1/profile/activate-invite/",
        "GET /api/v1/profile/referrals/",
    }
    for name, operation in protected:
        assert _codes(operation, "401") == {"not_authenticated", "invalid_token"}, name
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], name


def test_json_body_operations_document_the_ways_a_body_can_be_wrong(schema):
    for name, operation in _operations(schema):
        if "requestBody" not in operation:
            continue
        assert {"invalid_input", "malformed_request"} <= _codes(operation, "400"), name
        assert _codes(operation, "415") == {"unsupported_media_type"}, name


def test_every_operation_documents_what_any_request_can_meet(schema):
    for name, operation in _operations(schema):
        assert _codes(operation, "406") == {"not_acceptable"}, name
        assert _codes(operation, "408") == {"request_timeout"}, name
        assert _codes(operation, "413") == {"payload_too_large"}, name
        assert _codes(operation, "431") == {"request_header_too_large"}, name
        assert "service_unavailable" in _codes(operation, "503"), name


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        (
            "POST /api/v1/auth/request-code/",
            {"invalid_phone", "too_many_requests", "sms_unavailable"},
        ),
        (
            "POST /api/v1/auth/verify-code/",
            {"invalid_phone", "invalid_code", "too_many_attempts"},
        ),
        (
            "POST /api/v1/profile/activate-invite/",
            {
                "invalid_invite_code",
                "invite_code_not_found",
                "invite_code_is_own",
                "invite_code_already_activated",
                "referral_cycle",
                "too_many_requests",
            },
        ),
    ],
)
def test_service_problems_are_documented_on_their_operation(schema, operation, codes):
    documented = {
        example["value"]["code"]
        for response in dict(_operations(schema))[operation]["responses"].values()
        for example in response.get("content", {})
        .get(PROBLEM_CONTENT_TYPE, {})
        .get("examples", {})
        .values()
    }
    assert codes <= documented


def test_rate_limited_answers_document_retry_after(schema):
    for name, operation in _operations(schema):
        for status in ("429", "503"):
            if status in operation["responses"]:
                assert "Retry-After" in operation["responses"][status]["headers"], name


def test_the_schema_is_served_as_yaml_and_json(client):
    as_yaml = client.get("/api/schema/")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.content)["openapi"].startswith("3.")
    as_json = client.get("/api/schema/", {"format": "json"})
    assert as_json.status_code == 200
    assert json.loads(as_json.content)["paths"]


@pytest.mark.parametrize(
    "version", ["\r\nX-Injected: 1", "\x00", "\"; filename*=UTF-8''evil.bat", "2.0"]
)
def test_the_query_cannot_reach_the_schema_download_name(client, version):
    response = client.get("/api/schema/", {"version": version})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'inline; filename="Phone login and referral API (1.0.0).yaml"'
    )
    assert "X-Injected" not in response


class _Links(HTMLParser):
    """Every URL a page points at, and the text of its inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href", "spec-url")]

    def handle_data(self, data: str) -> None:
        self.inline.append(data)


@pytest.mark.parametrize("page", ["/api/docs/", "/api/docs/swagger/"])
def test_the_docs_pages_load_only_files_of_this_server(client, page):
    response = client.get(page)
    assert response.status_code == 200
    links = _Links()
    links.feed(response.content.decode())
    assert links.urls
    for url in links.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        if url.startswith("/" + settings.STATIC_URL):
            assert finders.find(url.removeprefix("/" + settings.STATIC_URL)), url
    assert not re.search(r"https?://", "".join(links.inline), re.IGNORECASE)


@pytest.mark.parametrize("page", ["/api/docs/", "/api/docs/swagger/"])
def test_the_docs_pages_forbid_the_browser_any_other_host(client, page):
    policy = client.get(page)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    for sources in directives.values():
        assert not re.search(r"https?:|\*", sources), policy


def test_swagger_ui_asks_no_outside_validator(client):
    assert '"validatorUrl": null' in client.get("/api/docs/swagger/").content.decode()


def test_only_the_code_request_documents_that_no_sms_could_be_sent(schema):
    sending = {
        name
        for name, operation in _operations(schema)
        if "sms_unavailable" in _codes(operation, "503")
    }
    assert sending == {"POST /api/v1/auth/request-code/"}
