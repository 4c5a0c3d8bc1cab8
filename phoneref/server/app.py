"""How requests reach Django: each one makes exactly one hop into a fixed pool of threads, where
Django's WSGI handler runs it start to finish, as under a threaded WSGI server.

Django's ASGI handler would cost several times what the WSGI one does per request: a sync
view and every sync middleware step hop to a thread and back. Under plain WSGI, though, the
code request's 1-2 s gateway wait would hold a thread and a database connection for its whole
length. So a view hands that wait to `phoneref.server.deferral.defer_until_released`; once the
view's thread is done with the request (its connection released by Django's request_finished),
this application awaits the wait on the event loop and only then sends the response, or the
refusal's answer in its place.

Bodies are read here, before Django sees them, so an oversized one is refused with 413 without
reaching Django. Each request is logged here once, with its full duration (the deferred wait
included) and the id that RequestIdMiddleware echoes in X-Request-ID, and counted in the
metrics under its route pattern.
"""

import asyncio
import contextvars
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from types import TracebackType
from typing import Any

from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation

from phoneref.core import metrics
from phoneref.core.errors import Problem, ServiceError, problems
from phoneref.core.logs import REQUEST_ID_HEADER, request_id_from, request_id_var
from phoneref.core.problem_details import PROBLEM_CONTENT_TYPE, problem_json
from phoneref.server.deferral import DEFERRAL_KEY, DeferralSlot, Deferred
from phoneref.server.environ import Scope, wsgi_environ

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("phoneref.requests")

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
# A coroutine, not any awaitable: the worker thread hands it to the loop to run.
Send = Callable[[Message], Coroutine[Any, Any, None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A response body larger than this is streamed chunk by chunk from its thread instead of
# being handed over whole.
_BUFFERED_BODY_LIMIT = 256 * 1024


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client left before its request body was whole."""


class WsgiBridge:
    """The ASGI application: Django's WSGI handler in a pool of threads, one hop per request."""

    def __init__(self, *, wsgi_app: WsgiApp, threads: int, max_body_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.max_body_bytes = max_body_bytes
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            # Django serves no websockets; refuse the handshake.
            await send({"type": "websocket.close", "code": 1000})
            return
        started = time.perf_counter()
        scope, request_id = _with_request_id(scope)
        token = request_id_var.set(request_id)
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            metrics.request_observed(
                route=route_of(scope["path"]),
                method=scope["method"],
                status=status,
                seconds=seconds,
            )
            duration_ms = round(seconds * 1000, 1)
            access_logger.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                duration_ms,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            request_id_var.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await read_body(scope, receive, limit=self.max_body_bytes)
        except BodyTooLarge:
            await send_problem(send, problems.PAYLOAD_TOO_LARGE)
            return
        except ClientGone:
            # Half a body is not a request: nothing runs, and nobody is left to answer.
            return
        loop = asyncio.get_running_loop()
        call = _WsgiCall(self.wsgi_app, wsgi_environ(scope, body), loop, send)
        # In a copy of this task's context, so log lines in the thread carry the request id.
        await loop.run_in_executor(self.executor, contextvars.copy_context().run, call.run)
        await call.finish()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                pool_sampler = asyncio.create_task(metrics.sample_pool_forever())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                pool_sampler.cancel()
                # Requests in flight have finished by now; let their threads go.
                self.executor.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def gc_freeze_loaded() -> None:
    """Keeps the cyclic garbage collector off everything loaded so far, for good.

    What a server process has loaded (Django, the apps, the URLconf and its views) lives as
    long as the process, yet the collector walked all of it again and again: with a thousand
    code requests in flight it took a large share of the server's CPU. gc.freeze() leaves the
    loaded objects out of its sweeps, and a larger first-generation threshold (Python's
    default is 700 allocations) makes the young collections rarer. Measured in `make bench`.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _with_request_id(scope: Scope) -> tuple[Scope, str]:
    """The scope with exactly one valid X-Request-ID header: the client's, or a new one."""
    header = REQUEST_ID_HEADER.lower().encode()
    incoming = next((v for k, v in scope["headers"] if k == header), b"")
    request_id = request_id_from(incoming.decode("latin-1"))
    headers = [(k, v) for k, v in scope["headers"] if k != header]
    headers.append((header, request_id.encode()))
    return {**scope, "headers": headers}, request_id


@lru_cache(maxsize=4096)
def route_of(path: str) -> str:
    """The URL pattern `path` resolves to (`i/<str:code>/`), the metrics' route label."""
    try:
        return "/" + resolve(path).route
    except Resolver404:
        return metrics.UNMATCHED_ROUTE


async def read_body(scope: Scope, receive: Receive, *, limit: int) -> bytes:
    """The whole request body; BodyTooLarge as soon as it is known to exceed `limit`, or
    ClientGone if the client disconnects first."""
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise BodyTooLarge
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def send_problem(send: Send, problem: Problem) -> None:
    """`problem` as the whole answer to a request that never reached Django."""
    body = problem_json(problem)
    headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _headers_of(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    """A response's headers and cookies, as Django's WSGI handler gives them to the server."""
    headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
    headers += [("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values()]
    headers.append(("Content-Length", str(len(response.content))))
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def _cookie_name(set_cookie: bytes) -> bytes:
    return set_cookie.split(b"=", 1)[0].strip()


def in_place_of(view_headers: list[tuple[bytes, bytes]], answer: HttpResponse) -> Message:
    """The start of `answer`, sent instead of a view's response whose headers the middleware
    has made: it keeps those headers and cookies (the session's, the request id, the security
    headers) unless it sets them itself, and none that describe the view's own body."""
    own = _headers_of(answer)
    own_names = {name for name, _ in own}
    own_cookies = {_cookie_name(value) for name, value in own if name == b"set-cookie"}
    kept = [
        (name, value)
        for name, value in view_headers
        if not name.startswith(b"content-")
        and name != b"location"
        and (name not in own_names or name == b"set-cookie")
        and not (name == b"set-cookie" and _cookie_name(value) in own_cookies)
    ]
    return {"type": "http.response.start", "status": answer.status_code, "headers": kept + own}


def _unavailable() -> HttpResponse:
    return HttpResponse(
        problem_json(problems.SERVICE_UNAVAILABLE),
        status=problems.SERVICE_UNAVAILABLE.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


async def _refusal_of(deferred: Deferred) -> HttpResponse | None:
    """Await the deferred wait: None when it completed, else the answer to send instead."""
    with translation.override(deferred.language):
        try:
            try:
                await deferred.wait()
            except ServiceError as refused:
                return deferred.if_refused(refused)
        except Exception as failed:
            # Only the exception's type: its message may carry a provider's URL with its key.
            logger.error("a deferred wait failed: %s", type(failed).__qualname__)
            return _unavailable()
    return None


class _WsgiCall:
    """One request through a WSGI app in a worker thread, its answer sent on the event loop.

    The whole response — start, body, the iterable's close() with Django's request_finished
    signal — happens in one thread, so the thread's database connection is the request's.
    A normal response is handed to the loop in one piece; a long one (a static file) is
    handed over chunk by chunk, each waiting until the loop has sent it, unless the view
    deferred a wait: then the answer may still be replaced, and waits whole.
    """

    def __init__(
        self, app: WsgiApp, environ: dict[str, Any], loop: asyncio.AbstractEventLoop, send: Send
    ) -> None:
        self.app = app
        self.environ = environ
        self.slot: DeferralSlot = environ[DEFERRAL_KEY]
        self.loop = loop
        self.send = send
        self.start: Message | None = None
        self.buffered: list[bytes] = []
        self.buffered_size = 0
        self.streaming = False

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: tuple[type[BaseException], BaseException, TracebackType] | None = None,
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.streaming:
            raise exc_info[1].with_traceback(exc_info[2])
        self.start = {
            "type": "http.response.start",
            "status": int(status.split(" ", 1)[0]),
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
        return self._emit

    def run(self) -> None:
        iterable = self.app(self.environ, self.start_response)
        try:
            for chunk in iterable:
                self._emit(chunk)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    def _emit(self, chunk: bytes) -> None:
        if not chunk:
            return
        if not self.streaming:
            self.buffered.append(chunk)
            self.buffered_size += len(chunk)
            if self.buffered_size <= _BUFFERED_BODY_LIMIT or self.slot.deferred is not None:
                return
            self.streaming = True
            self._send_from_thread(self._started())
            chunk = b"".join(self.buffered)
            self.buffered = []
        self._send_from_thread({"type": "http.response.body", "body": chunk, "more_body": True})

    def _started(self) -> Message:
        if self.start is None:
            raise RuntimeError("the WSGI app sent a body without calling start_response")
        return self.start

    def _send_from_thread(self, message: Message) -> None:
        asyncio.run_coroutine_threadsafe(self.send(message), self.loop).result()

    async def finish(self) -> None:
        if self.slot.deferred is not None:
            answer = await _refusal_of(self.slot.deferred)
            if answer is not None:
                await self.send(in_place_of(self._started()["headers"], answer))
                await self.send({"type": "http.response.body", "body": answer.content})
                return
        if not self.streaming:
            await self.send(self._started())
        await self.send({"type": "http.response.body", "body": b"".join(self.buffered)})
