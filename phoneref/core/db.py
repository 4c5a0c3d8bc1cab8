"""Database work called from async views."""

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection


async def call_and_release_connection(func: Callable[..., Any], /, **kwargs: Any) -> Any:
    """`func(**kwargs)` in a thread, after which its connection goes back to the pool.

    An async request keeps the connection of its sync steps until the response is sent; a
    code request then awaits the gateway for 1-2 s, so a thousand of them in flight would hold
    a thousand connections. A transaction a caller has open (a test's) keeps its connection.
    """
    return await sync_to_async(_call_then_release)(func, kwargs)


def _call_then_release(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    try:
        return func(**kwargs)
    finally:
        if not connection.in_atomic_block:
            connection.close()
