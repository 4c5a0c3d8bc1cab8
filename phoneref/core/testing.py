"""Helpers for tests that need real parallel database connections or a process of their own."""

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

# Where a test's frozen clock (the `clock` fixture) stands.
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def run_in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread and database connection, all released at once.

    Returns each call's result, or the exception it raised, in order.
    """
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        try:
            start.wait()
            return call()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def run_django_script(script: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs `script` with this interpreter in a fresh process at the project's root, with
    `env` over this process's environment; its output comes back as text."""
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
