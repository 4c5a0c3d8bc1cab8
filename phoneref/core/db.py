"""Database work called from async service code on the event loop.

Views are all sync; a view hands its async work (the SMS gateway wait) to
`phoneref.server.deferral`. That work runs on the event loop, and the little database work it
has (delivery records, breaker rows, taking back an unsent code) goes through here.
"""

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection


async def call_and_release_connection(func: Callable[..., Any], /, **kwargs: Any) -> Any:
    """`func(**kwargs)` in a thread, after which its connection goes back to the pool.

    The thread is asgiref's, outside any request, so Django's request_finished never closes
    its connection; closed here, the connection does not sit idle between calls. A
    transaction a caller has open (a test's) keeps its connection.
    """
    return await sync_to_async(_call_then_release)(func, kwargs)


def _call_then_release(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    try:
        return func(**kwargs)
    finally:
        if not connection.in_atomic_block:
            connection.close()
