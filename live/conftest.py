"""The production profile as it is deployed: `scripts/start` on the PostgreSQL of `make test-live`.

Each server runs in its own process group on a free loopback port with production settings
(DEBUG off, HTTPS redirect on, the proxy header named); requests that play the TLS proxy send
`X-Forwarded-Proto: https`.
"""

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # The test runner's own Django settings must not leak into the server.
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "DEMO_MODE"}
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS="https://127.0.0.1",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        WEB_CONCURRENCY="2",
        OTP_DELAY_MIN="0.2",
        OTP_DELAY_MAX="0.3",
    )
    env.update(overrides)
    return env


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def client(self, *, proxied: bool = True) -> httpx.Client:
        headers = {"X-Forwarded-Proto": "https"} if proxied else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10, trust_env=False)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def start_server(tmp_path_factory) -> Iterator:
    """Starts production servers; each is stopped with SIGTERM at the end of the module."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail("live tests need DATABASE_URL of a throwaway PostgreSQL (make test-live)")
    servers: list[Server] = []

    def start(**overrides: str) -> Server:
        port = _free_port()
        log = tmp_path_factory.mktemp("server") / "server.log"
        env = production_env(
            HOST="127.0.0.1",
            PORT=str(port),
            PROMETHEUS_MULTIPROC_DIR=str(log.parent / "metrics"),
            **overrides,
        )
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(ROOT / "scripts" / "start")],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        servers.append(server)
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(server.url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{server.output()}")
            time.sleep(0.2)
        return server

    yield start
    for server in servers:
        stop(server)


def stop(server: Server) -> int:
    """SIGTERM to the whole group, as a platform stopping a container; the exit status."""
    return stop_group(server.process)


def stop_group(process: subprocess.Popen) -> int:
    """SIGTERM to the process group `process` leads, SIGKILL after 30 s; the exit status."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


@pytest.fixture(scope="session")
def base_url() -> str:
    """The server under test of live/api and live/replicas, started by scripts/with-server or
    scripts/with-replicas."""
    url = os.environ.get("BASE_URL")
    if not url:
        pytest.fail("these tests need BASE_URL of a live server (make test-api)")
    return url
