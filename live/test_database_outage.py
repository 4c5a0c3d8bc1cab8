"""PostgreSQL stops under a running production server, then starts again.

While it is down every request that needs it answers 503 within seconds (problem JSON for the
API, the error page for the web), never a traceback or a hang; once it is back the same server
process answers as before, with everything written before the outage intact and nothing twice.
"""

import os
import subprocess
import time
from pathlib import Path

import pytest

# connect_timeout and the pool's wait are 3 s each; anything near 10 s would be a hang.
OUTAGE_ANSWER_SECONDS = 8
RECOVERY_SECONDS = 20


def pg_ctl(*args: str) -> None:
    command = [f"{os.environ['PG_BIN']}/pg_ctl", "-D", os.environ["PGDATA_DIR"], *args]
    if os.environ.get("PG_RUN_AS"):
        command = ["runuser", "-u", os.environ["PG_RUN_AS"], "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def start_postgres() -> None:
    log = Path(os.environ["PGDATA_DIR"]).parent / "server.log"
    pg_ctl("start", "-w", "-t", "30", "-l", str(log), "-o", os.environ["PG_SERVER_OPTS"])


def log_in(client, phone: str) -> dict[str, str]:
    code = client.post("/api/v1/auth/request-code/", json={"phone": phone}).json()["code"]
    token = client.post("/api/v1/auth/verify-code/", json={"phone": phone, "code": code})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['token']}"}


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.fixture
def server(start_server):
    if not all(os.environ.get(name) for name in ("PG_BIN", "PGDATA_DIR", "PG_SERVER_OPTS")):
        pytest.fail("the outage test controls the PostgreSQL of scripts/with-postgres")
    # Demo mode: the test reads each login code from the response.
    return start_server(DEMO_MODE="1")


def test_the_server_answers_503_while_the_database_is_down_and_recovers_by_itself(server):
    with server.client() as client:
        alice = log_in(client, "+79160000101")
        bob = log_in(client, "+79160000102")
        alice_code = client.get("/api/v1/profile/", headers=alice).json()["invite_code"]
        activated = client.post(
            "/api/v1/profile/activate-invite/", json={"invite_code": alice_code}, headers=bob
        )
        assert activated.status_code == 200

        pg_ctl("stop", "-w", "-m", "fast")
        try:
            ready, ready_took = timed(lambda: client.get("/readyz"))
            profile, profile_took = timed(lambda: client.get("/api/v1/profile/", headers=alice))
            code, code_took = timed(
                lambda: client.post("/api/v1/auth/request-code/", json={"phone": "+79160000103"})
            )
            page, page_took = timed(
                lambda: client.get("/profile/", headers={"Cookie": "sessionid=" + "a" * 32})
            )
        finally:
            start_postgres()

        assert ready.status_code == 503
        for response in (profile, code):
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "service_unavailable"
            assert response.headers["retry-after"]
        assert page.status_code == 503
        assert "text/html" in page.headers["content-type"]
        for response in (ready, profile, code, page):
            assert "Traceback" not in response.text
        assert max(ready_took, profile_took, code_took, page_took) < OUTAGE_ANSWER_SECONDS

        deadline = time.monotonic() + RECOVERY_SECONDS
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the server did not see the database come back"
            time.sleep(0.5)

        after = client.get("/api/v1/profile/", headers=alice)
        assert after.status_code == 200
        assert after.json()["referrals"] == ["+79160000102"]
        assert after.json()["referrals_count"] == 1
        assert client.get("/api/v1/profile/", headers=bob).json()["activated_invite_code"] == (
            alice_code
        )

        carol = log_in(client, "+79160000103")
        client.post(
            "/api/v1/profile/activate-invite/", json={"invite_code": alice_code}, headers=carol
        )
        referrals = client.get("/api/v1/profile/", headers=alice).json()
        assert referrals["referrals"] == ["+79160000103", "+79160000102"]
        assert referrals["referrals_count"] == 2
    assert "Traceback" not in server.output()
