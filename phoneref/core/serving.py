"""How requests reach Django: async views on its ASGI handler, all others on its WSGI handler.

Under Django's ASGI handler every sync view and every sync middleware step hops to a thread
and back, and all of one request's sync steps share one thread; a plain view then serves a
fraction of what the same code serves under a threaded WSGI server. Under WSGI, though, the
code request's 1-2 s gateway wait would hold a thread for its whole length. So one ASGI
application routes by the kind of view the path resolves to:

- an async view (the web pages that send a code) runs on Django's ASGI handler, where its
  wait is an `await`;
- every other request makes exactly one hop into a fixed pool of threads, where Django's WSGI
  handler runs it start to finish, as under a threaded WSGI server.

A sync view may still wait for something asynchronous before its answer goes out: the API's
code request does its database work in its thread like any view, and hands the gateway call
to `respond_after`; the router awaits it on the event loop once the thread and its database
connection are free, then sends the response. Django's ASGI handler costs several times what
the WSGI one does per request (a thread per request, a hop per middleware step), which a crowd
of a thousand code requests would pay a thousand times.

Bodies are read here, before either handler sees them, so an oversized one is refused with
413 without reaching Django. Each request is logged here once, with its full duration (the
gateway wait included) and the id that RequestIdMiddleware echoes in X-Request-ID, and
counted in the metrics under its route pattern.
"""

import asyncio
import contextvars
import gc
import io
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils import translation

from phoneref.core import metrics
from phoneref.core.errors import Problem, ServiceError, problems
from phoneref.core.exceptions import PROBLEM_CONTENT_TYPE, problem_json
from phoneref.core.logs import REQUEST_ID_HEADER, request_id_from, request_id_var

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("phoneref.requests")

# Set in the WSGI environ of requests whose response this router can send after an await.
AWAIT_ON_LOOP = "phoneref.await_on_loop"

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A response body larger than this is streamed chunk by chunk from its thread instead of
# being handed over whole.
_BUFFERED_BODY_LIMIT = 256 * 1024


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client left before its request body was whole."""


class ViewKindRouter:
    """The ASGI application: each request to the handler that suits its view."""

    def __init__(
        self, *, asgi_app: AsgiApp, wsgi_app: WsgiApp, threads: int, max_body_bytes: int
    ) -> None:
        self.asgi_app = asgi_app
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
        if view_is_async(scope["path"]):
            await self.asgi_app(scope, _replay(body, receive), send)
        else:
            await self._run_wsgi(scope, body, send)

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

    async def _run_wsgi(self, scope: Scope, body: bytes, send: Send) -> None:
        loop = asyncio.get_running_loop()
        call = _WsgiCall(self.wsgi_app, wsgi_environ(scope, body), loop, send)
        # In a copy of this task's context, so log lines in the thread carry the request id.
        await loop.run_in_executor(self.executor, contextvars.copy_context().run, call.run)
        await call.finish()


def gc_freeze_loaded() -> None:
    """Keeps the cyclic garbage collector off everything loaded so far, for good.

    What a server process has loaded (Django, the apps, the URLconf and its views) lives as
    long as the process, yet the collector walked all of it again and again: with a thousand
    code requests in flight it took about a tenth of the server's CPU. gc.freeze() leaves the
    loaded objects out of its sweeps, and a larger first-generation threshold (Python's
    default is 700 allocations) makes the young collections rarer. Measured in `make bench`.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def respond_after(
    request: HttpRequest, response: HttpResponseBase, wait: Callable[[], Awaitable[None]]
) -> HttpResponseBase:
    """`response`, to be sent only once `wait()` has completed.

    Under ViewKindRouter the wait is an await on the event loop, holding no thread and no
    database connection, in the request's language; served any other way (the test client, a
    plain WSGI server) it is awaited here, before returning. If the wait raises ServiceError,
    the client gets that problem instead of `response`; if it fails otherwise, 503.
    """
    if request.META.get(AWAIT_ON_LOOP):
        response.wait_before_sending = wait
        response.wait_language = translation.get_language()
    else:
        async_to_sync(wait)()
    return response


def _with_request_id(scope: Scope) -> tuple[Scope, str]:
    """The scope with exactly one valid X-Request-ID header: the client's, or a new one."""
    header = REQUEST_ID_HEADER.lower().encode()
    incoming = next((v for k, v in scope["headers"] if k == header), b"")
    request_id = request_id_from(incoming.decode("latin-1"))
    headers = [(k, v) for k, v in scope["headers"] if k != header]
    headers.append((header, request_id.encode()))
    return {**scope, "headers": headers}, request_id


@lru_cache(maxsize=4096)
def view_is_async(path: str) -> bool:
    try:
        return iscoroutinefunction(resolve(path).func)
    except Resolver404:
        return False


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


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields the already-read body once, then waits for the disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def send_problem(send: Send, problem: Problem, *, retry_after: int | None = None) -> None:
    body = problem_json(problem)
    headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def wsgi_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """PEP 3333 environ for an ASGI HTTP scope whose body has been read."""
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        AWAIT_ON_LOOP: True,
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode().decode("latin-1"),
        "PATH_INFO": scope["path"].encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        environ["REMOTE_ADDR"], port = scope["client"]
        environ["REMOTE_PORT"] = str(port)
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1")
        # As Django's ASGIRequest does: `x_forwarded_for` would land on the key of
        # `X-Forwarded-For` and could stand in for it.
        if "_" in name:
            continue
        name = name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            continue
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class _WsgiCall:
    """One request through a WSGI app in a worker thread, its answer sent on the event loop.

    The whole response — start, body, the iterable's close() with Django's request_finished
    signal — happens in one thread, so the thread's database connection is the request's.
    A normal response is handed to the loop in one piece; a long one (a static file) is
    handed over chunk by chunk, each waiting until the loop has sent it.
    """

    def __init__(self, app: WsgiApp, environ: dict[str, Any], loop, send: Send) -> None:
        self.app = app
        self.environ = environ
        self.loop = loop
        self.send = send
        self.start: Message | None = None
        self.buffered: list[bytes] = []
        self.buffered_size = 0
        self.streaming = False
        self.wait: Callable[[], Awaitable[None]] | None = None
        self.wait_language: str | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None):
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
        self.wait = getattr(iterable, "wait_before_sending", None)
        self.wait_language = getattr(iterable, "wait_language", None)
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
            if self.buffered_size <= _BUFFERED_BODY_LIMIT:
                return
            self.streaming = True
            self._send_from_thread(self.start)
            chunk = b"".join(self.buffered)
            self.buffered = []
        self._send_from_thread({"type": "http.response.body", "body": chunk, "more_body": True})

    def _send_from_thread(self, message: Message | None) -> None:
        asyncio.run_coroutine_threadsafe(self.send(message), self.loop).result()

    async def finish(self) -> None:
        if self.wait is not None:
            with translation.override(self.wait_language):
                try:
                    await self.wait()
                except ServiceError as refused:
                    await send_problem(self.send, refused.problem, retry_after=refused.retry_after)
                    return
                except Exception:
                    logger.exception("the response's wait failed")
                    await send_problem(self.send, problems.SERVICE_UNAVAILABLE)
                    return
        if not self.streaming:
            await self.send(self.start)
        await self.send({"type": "http.response.body", "body": b"".join(self.buffered)})
