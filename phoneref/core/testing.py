"""Helpers for tests that need real parallel database connections."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection


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
