"""A rolling restart behind the balancer loses no request.

Under scripts/with-replicas: while a steady crowd of code requests runs, each replica in turn
gets SIGTERM (as an orchestrator rolling a deployment sends it), is started again and waits
until the balancer sends it traffic, before the next one goes. Every request must end in 200
or a problem response the API documents; a reset, a timeout or the balancer's own 502/503
fails the test.
"""

import asyncio
import os
import signal
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


async def _restart(http: httpx.AsyncClient, name: str, url: str, pid_file: Path) -> None:
    old_pid = int(pid_file.read_text())
    os.kill(old_pid, signal.SIGTERM)
    deadline = time.monotonic() + READY_TIMEOUT
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
