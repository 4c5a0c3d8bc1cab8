"""A rolling restart behind the balancer loses no request.

Under scripts/with-replicas: while a steady crowd of code requests runs, each replica in turn
is drained in the balancer until its requests in flight are answered (what an orchestrator's
endpoint removal and a preStop pause do), gets SIGTERM, is started again, and is back in the
balancer's rotation before the next one goes. Every request must end in 200
or a problem response the API documents; a reset, a timeout or the balancer's own 502/503
fails the test.
"""

import asyncio
import os
import signal
import socket
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from live.api_client import REQUEST_CODE, new_phone, run

CLIENTS = 40
READY_TIMEOUT = 90


@pytest.fixture(scope="module")
def replicas() -> list[tuple[str, str, Path]]:
    names = os.environ.get("REPLICA_NAMES", "").split()
    if len(names) < 2:
        pytest.fail("this test needs two or more replicas (make test-replicas)")
    return list(
        zip(
            names,
            os.environ["REPLICA_URLS"].split(),
            map(Path, os.environ["REPLICA_PID_FILES"].split()),
            strict=True,
        )
    )


def balancer(command: str) -> str:
    """One command to HAProxy's runtime API; its answer."""
    with socket.socket(socket.AF_UNIX) as api:
        api.connect(os.environ["BALANCER_SOCKET"])
        api.sendall(command.encode() + b"\n")
        answer = b""
        while chunk := api.recv(65536):
            answer += chunk
    return answer.decode()


def _in_flight(name: str) -> int:
    """Requests the balancer has open on replica `name` (`show stat`'s scur)."""
    header, *rows = balancer("show stat").lstrip("# ").splitlines()
    columns = header.split(",")
    for row in rows:
        fields = dict(zip(columns, row.split(","), strict=False))
        if fields.get("pxname") == "app" and fields.get("svname") == name:
            return int(fields["scur"])
    raise AssertionError(f"the balancer has no replica {name}")


async def _restart(http: httpx.AsyncClient, name: str, url: str, pid_file: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    balancer(f"set server app/{name} state drain")
    while _in_flight(name):
        assert time.monotonic() < deadline, f"{name} kept requests open"
        await asyncio.sleep(0.05)
    old_pid = int(pid_file.read_text())
    os.kill(old_pid, signal.SIGTERM)
    # A new process, ready on its own port...
    while True:
        assert time.monotonic() < deadline, f"{name} did not come back"
        text = pid_file.read_text().strip()
        if text and int(text) != old_pid:
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
        await asyncio.sleep(0.2)
    # ...and back in the balancer's rotation.
    balancer(f"set server app/{name} state ready")
    while (await http.get("/readyz")).headers.get("x-replica") != name:
        assert time.monotonic() < deadline, f"the balancer sent {name} nothing"
        await asyncio.sleep(0.05)


def _outcome(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "200"
    if response.headers.get("content-type") == "application/problem+json":
        return f"{response.status_code} {response.json()['code']}"
    return f"{response.status_code} (not from the app)"


def test_a_rolling_restart_during_a_burst_loses_no_request(base_url, replicas):
    outcomes: Counter = Counter()

    async def scenario(http: httpx.AsyncClient) -> None:
        rolling = True

        async def client() -> None:
            while rolling:
                try:
                    response = await http.post(REQUEST_CODE, json={"phone": new_phone()})
                    outcomes[_outcome(response)] += 1
                except httpx.HTTPError as exc:
                    outcomes[type(exc).__name__] += 1

        clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
        await asyncio.sleep(1)
        for name, url, pid_file in replicas:
            await _restart(http, name, url, pid_file)
        await asyncio.sleep(1)
        rolling = False
        await asyncio.gather(*clients)

    started = time.monotonic()
    run(base_url, scenario)
    total = sum(outcomes.values())
    print(  # noqa: T201 - the counts are the result, quoted from the test output
        f"\nrolling restart of {len(replicas)} replicas in {time.monotonic() - started:.1f} s: "
        f"{total} code requests: "
        + ", ".join(f"{outcome}: {n}" for outcome, n in sorted(outcomes.items()))
    )
    documented = {"200", "429 too_many_requests"}
    assert set(outcomes) <= documented, outcomes
    assert outcomes["200"] > 0
