"""Clients of a server someone else started (BASE_URL names it): the live API suites.

`make test-api` serves one production server through PgBouncer; `make test-replicas` serves
two behind HAProxy (REPLICA_URLS then names each replica's own address). The server runs in
demo mode with the default limits, except the per-client caps over all phones (sends, wrong
codes), which are off: all these requests come from one address.
"""

import asyncio
import itertools
import os
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

T = TypeVar("T")

REQUEST_CODE = "/api/v1/auth/request-code/"
VERIFY_CODE = "/api/v1/auth/verify-code/"
PROFILE = "/api/v1/profile/"
ACTIVATE = "/api/v1/profile/activate-invite/"


# Consecutive numbers from a random start: random ones each time would repeat one within a
# few thousand (a repeated number gets 429 from its resend cooldown), and another run on the
# same database starts elsewhere.
_numbers = itertools.count(secrets.randbelow(9_000_000))


def new_phone() -> str:
    """A Moscow mobile number no other request of this run uses."""
    return f"+7916{next(_numbers):07d}"


def run(base_url: str, scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """`scenario(http)` on an event loop of its own, with a client of the server at base_url
    that opens a new connection for each request (so the balancer spreads them)."""

    async def main() -> T:
        async with httpx.AsyncClient(
            base_url=base_url,
            timeout=30,
            trust_env=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
            # The production profile redirects plain http to https; the balancer of a real
            # deployment ends TLS and says so in this header.
            headers={"X-Forwarded-Proto": "https"},
        ) as http:
            return await scenario(http)

    return asyncio.run(main())


async def log_in(http: httpx.AsyncClient, phone: str | None = None) -> dict:
    """A new user's login (the code comes back in demo mode): the verify response body."""
    phone = phone or new_phone()
    sent = await http.post(REQUEST_CODE, json={"phone": phone})
    assert sent.status_code == 200, sent.text
    login = await http.post(VERIFY_CODE, json={"phone": phone, "code": sent.json()["code"]})
    assert login.status_code == 200, login.text
    return login.json()


def bearer(login: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {login['token']}"}


def statuses(responses: list[httpx.Response]) -> Counter:
    """How many responses had each status and problem code."""
    return Counter(
        (r.status_code, r.json()["code"] if r.status_code >= 400 else None) for r in responses
    )


def assert_spread_over_replicas(responses: list[httpx.Response]) -> None:
    """Behind the balancer, the parallel requests reached more than one replica."""
    if os.environ.get("REPLICA_URLS"):
        served_by = Counter(r.headers.get("x-replica") for r in responses)
        assert len(served_by) >= 2, served_by
