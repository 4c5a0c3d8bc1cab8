"""Prometheus metrics for the operator: requests, code sends, logins, activations, the pool.

Under gunicorn each worker is a process of its own; with PROMETHEUS_MULTIPROC_DIR set (by
scripts/start) each writes its values to files there and `/metrics`, whichever worker answers
it, adds up all of them (prometheus_client's multiprocess mode; gunicorn's child_exit hook in
config/gunicorn.py drops the gauges of a worker that has exited). Unset (tests, `make run`),
the values live in this process. An update is a counter increment, no query.
"""

import asyncio
import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from phoneref.core.errors import ServiceError

P = ParamSpec("P")
R = TypeVar("R")

# The route pattern, not the path: one series per URL pattern, whatever the client sends.
UNMATCHED_ROUTE = "<unmatched>"
REQUEST_DURATION = Histogram(
    "phoneref_http_request_duration_seconds",
    "Requests by route pattern, method and status, and how long each took to answer.",
    ["route", "method", "status"],
    # Profile reads take milliseconds; a code request waits 1-2 s for the gateway.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 5, 10),
)
CODE_SENDS = Counter("phoneref_login_code_sends", "Login codes sent (accepted code requests).")
CODE_SEND_REFUSALS = Counter(
    "phoneref_login_code_send_refusals", "Code requests refused, by problem code.", ["reason"]
)
LOGINS = Counter("phoneref_logins", "Logins with a right code, by whether new.", ["new_user"])
LOGIN_REFUSALS = Counter(
    "phoneref_login_refusals", "Code checks refused, by problem code.", ["reason"]
)
ACTIVATIONS = Counter("phoneref_invite_activations", "Invite codes activated.")
ACTIVATION_REFUSALS = Counter(
    "phoneref_invite_activation_refusals", "Invite activations refused, by problem code.", ["code"]
)
WORKERS = Gauge(
    "phoneref_worker_up", "1 for each server process serving.", multiprocess_mode="liveall"
)
POOL_SIZE = Gauge(
    "phoneref_db_pool_connections",
    "Database connections the server processes' pools hold.",
    multiprocess_mode="livesum",
)
POOL_AVAILABLE = Gauge(
    "phoneref_db_pool_connections_idle",
    "Pooled database connections not handed out.",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "phoneref_db_pool_requests_waiting",
    "Requests waiting for a database connection.",
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "phoneref_db_pool_connections_max",
    "Most connections the pools may open (DATABASE_POOL_MAX per process).",
    multiprocess_mode="livesum",
)
POOL_SAMPLE_SECONDS = 5.0


def counted(
    refusals: Counter, *, success: Counter | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Counts each ServiceError the decorated service raises, by its problem code, and each
    call that returns in `success`."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                result = func(*args, **kwargs)
            except ServiceError as exc:
                refusals.labels(exc.code).inc()
                raise
            if success is not None:
                success.inc()
            return result

        return wrapper

    return decorate


def login_counted(*, is_new_user: bool) -> None:
    LOGINS.labels("true" if is_new_user else "false").inc()


def request_observed(*, route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_DURATION.labels(route, method, str(status)).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """Every metric in the text format, added up over all server processes; its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


async def sample_pool_forever() -> None:
    """This process's pool usage into the gauges, every few seconds, while the server runs.

    Sampled apart from the requests so they pay nothing for it; nothing when there is no pool.
    """
    WORKERS.set(1)
    database = connections[DEFAULT_DB_ALIAS]
    if "pool" not in database.settings_dict["OPTIONS"]:
        return
    while True:
        # After the first requests have opened the pool, rather than opening it here.
        await asyncio.sleep(POOL_SAMPLE_SECONDS)
        # django-stubs 5.2 lacks the postgresql wrapper's `pool` (a psycopg ConnectionPool).
        stats = database.pool.get_stats()  # type: ignore[attr-defined]
        POOL_SIZE.set(stats["pool_size"])
        POOL_AVAILABLE.set(stats["pool_available"])
        POOL_WAITING.set(stats.get("requests_waiting", 0))
        POOL_MAX.set(stats["pool_max"])
