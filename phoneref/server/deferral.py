"""The one way a view defers async work until its thread and database connection are free.

A code request waits 1-2 s for the SMS gateway. A view that waited in its thread would hold
the thread and its database connection all that time, so a crowd of code requests would
exhaust both. Instead the view does its database work, registers the wait with
`defer_until_released` and returns; the server (`phoneref.server.app`) finishes the request
in the thread, frees it, awaits the wait on the event loop, and only then sends the answer.

The wait is registered on the request, in a slot the server put in the WSGI environ, not on
the response: a middleware that returns a new response cannot lose it.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from django.http import HttpResponse
from django.utils import translation

from phoneref.core.errors import ServiceError

# The environ key of the request's DeferralSlot.
DEFERRAL_KEY = "phoneref.deferral"

Wait = Callable[[], Awaitable[None]]
# The answer sent instead of the view's when the wait raises ServiceError. It is made on the
# event loop, so it must not touch the database.
RefusalAnswer = Callable[[ServiceError], HttpResponse]


class _Request(Protocol):
    """Django's request or DRF's, which passes META through."""

    @property
    def META(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Deferred:
    wait: Wait
    if_refused: RefusalAnswer
    # The request's language, in which the wait and the refusal's answer run.
    language: str | None


class DeferralSlot:
    """Holds the one wait a request may defer; the server puts one in every request's environ."""

    def __init__(self) -> None:
        self.deferred: Deferred | None = None

    def hold(self, deferred: Deferred) -> None:
        if self.deferred is not None:
            raise RuntimeError("a request defers one wait at most")
        self.deferred = deferred


def defer_until_released(request: _Request, wait: Wait, *, if_refused: RefusalAnswer) -> None:
    """Send the view's response only once `wait()` has completed, without holding its thread.

    Under the server the wait runs on the event loop after the request's thread and database
    connection are free, in the request's language. If it raises ServiceError, the client gets
    `if_refused(error)` instead of the view's response, with the headers and cookies the
    middleware gave that response (a session cookie, the request id) except those the answer
    sets itself; any other exception is logged and answered 503.

    Served any other way (the test client, a plain WSGI server) there is no slot: the wait is
    awaited here, and a ServiceError from it reaches the view like any service's refusal.
    """
    slot = request.META.get(DEFERRAL_KEY)
    if isinstance(slot, DeferralSlot):
        slot.hold(Deferred(wait, if_refused, translation.get_language()))
    else:
        async_to_sync(wait)()
