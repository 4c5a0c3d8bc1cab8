"""`scripts/start` (what `make serve` and the Docker image run) serves a hardened production app."""

import re
import subprocess
import time

import pytest

from live.conftest import ROOT, production_env, stop

PHONE = "+79161234567"


@pytest.fixture(scope="module")
def server(start_server):
    return start_server()


def test_check_deploy_finds_nothing_in_the_production_settings():
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=production_env(DEBUG="0", DATABASE_POOL="1"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_health_probes_answer_over_plain_http_inside_the_platform(server):
    with server.client(proxied=False) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ok"}


def test_plain_http_is_redirected_to_https(server):
    with server.client(proxied=False) as client:
        response = client.get("/login/")
    assert response.status_code == 301
    assert response.headers["location"].startswith("https://")


def test_pages_come_with_security_headers(server):
    with server.client() as client:
        response = client.get("/login/")
    assert response.status_code == 200
    assert "<form" in response.text
    headers = response.headers
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in headers["content-security-policy"]
    for cookie in response.headers.get_list("set-cookie"):
        assert "Secure" in cookie
        assert "HttpOnly" in cookie


def test_static_files_are_hashed_compressed_and_cached_for_a_year(server):
    with server.client() as client:
        page = client.get("/login/").text
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, page
        response = client.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "max-age=315360000" in response.headers["cache-control"]
    assert "immutable" in response.headers["cache-control"]


def test_the_api_answers_and_never_shows_the_code_outside_demo_mode(server):
    with server.client() as client:
        sent = client.post("/api/v1/auth/request-code/", json={"phone": PHONE})
        refused = client.get("/api/v1/profile/", headers={"Authorization": "Bearer " + "0" * 64})
    assert sent.status_code == 200
    assert set(sent.json()) == {"phone", "expires_in", "resend_in"}
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "invalid_token"


def test_each_request_is_one_log_line_with_its_id_and_no_full_phone_number(server):
    with server.client() as client:
        response = client.post("/api/v1/auth/request-code/", json={"phone": "+79161112233"})
    request_id = response.headers["x-request-id"]
    # The request's line is written once its answer has gone out: it may trail the answer.
    deadline = time.monotonic() + 5
    while f"[{request_id}] POST /api/v1/auth/request-code/ 200" not in server.output():
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.1)
    log = server.output()
    assert "+79161112233" not in log
    assert "+791*****233" in log


def test_a_body_over_the_limit_is_refused_with_413_problem_json(server):
    with server.client() as client:
        response = client.post(
            "/api/v1/auth/request-code/",
            content=b'{"phone": "' + b"9" * 100_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


def test_the_log_says_where_the_server_listens(server):
    assert re.search(rf"\[INFO\] Listening at: {re.escape(server.url)} \(\d+\)", server.output())


def test_sigterm_stops_the_server_cleanly(start_server):
    server = start_server()
    assert stop(server) == 0
    log = server.output()
    assert "Shutting down" in log
    assert "[ERROR]" not in log
    assert "Error while closing socket" not in log


SECRET_KEY_MISSING = (
    "manage.py: SECRET_KEY is not set: set it (50+ random characters, see .env.example), "
    "or DEBUG=1 on a development machine."
)


def _start_without_secret_key(**overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts" / "start")],
        cwd=ROOT,
        # Port 0: should it get as far as listening, it takes no port another server uses.
        env=production_env(SECRET_KEY="", HOST="127.0.0.1", PORT="0", **overrides),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_start_without_a_secret_key_says_what_to_set_in_one_line():
    result = _start_without_secret_key()
    assert result.returncode == 1
    assert result.stderr.splitlines() == [SECRET_KEY_MISSING]


def test_the_server_itself_refuses_to_start_without_a_secret_key():
    # Nothing run before the server: its workers fail to load the application and say why.
    result = _start_without_secret_key(MIGRATE_ON_START="0", COLLECTSTATIC_ON_START="0")
    assert result.returncode != 0
    assert SECRET_KEY_MISSING.removeprefix("manage.py: ") in result.stderr
