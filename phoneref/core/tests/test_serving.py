"""The ASGI router: which handler serves a request, body limits, request ids, late answers."""

import asyncio
import json
import threading
from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from phoneref.core.errors import ServiceError, problems
from phoneref.core.serving import ViewKindRouter, respond_after

LIMIT = 1024


def wsgi_app(environ, start_response):
    """Answers with where it ran and what it was sent."""
    body = environ["wsgi.input"].read()
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [threading.current_thread().name.encode(), b"|", body]


async def asgi_app(scope, receive, send):
    message = await receive()
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b"asgi|" + message["body"]})


def router(wsgi=wsgi_app) -> ViewKindRouter:
    return ViewKindRouter(asgi_app=asgi_app, wsgi_app=wsgi, threads=2, max_body_bytes=LIMIT)


def call(app, path="/healthz", *, chunks=(b"",), headers=()):
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": list(headers),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        # After the body, a client stays connected until the answer is in.
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return SimpleNamespace(
        status=start["status"], headers=dict(start["headers"]), body=body, messages=sent
    )


def test_a_sync_view_runs_in_one_of_the_pool_threads():
    response = call(router(), "/healthz", chunks=(b"hello",))
    assert response.status == 201
    thread, body = response.body.split(b"|")
    assert thread.startswith(b"wsgi")
    assert body == b"hello"


def test_an_async_view_goes_to_the_asgi_handler_with_its_body():
    # /login/ is an async view (it awaits the SMS gateway).
    response = call(router(), "/login/", chunks=(b"phone=1",))
    assert response.status == 202
    assert response.body == b"asgi|phone=1"


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    response = call(router(), chunks=(b"",), headers=[(b"content-length", str(LIMIT + 1).encode())])
    assert response.status == 413
    assert response.headers[b"content-type"] == b"application/problem+json"
    assert json.loads(response.body)["code"] == "payload_too_large"
    # Written as the API writes every other problem: compact, not Python's spaced default.
    assert response.body == JSONRenderer().render(json.loads(response.body))


def test_a_streamed_body_is_refused_once_it_passes_the_limit():
    response = call(router(), chunks=(b"x" * 600, b"x" * 600, b"x"))
    assert response.status == 413


def test_a_body_at_the_limit_is_served():
    assert call(router(), chunks=(b"x" * LIMIT,)).status == 201


def test_a_client_gone_before_its_body_is_whole_runs_nothing():
    ran = []

    def app(environ, start_response):
        ran.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b""]

    incoming = [
        {"type": "http.request", "body": b'{"phone": "+7', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/healthz", "headers": []}
    asyncio.run(router(app)(scope, receive, send))
    assert ran == []
    assert sent == []


def test_a_well_formed_request_id_is_kept_and_anything_else_replaced():
    seen = []

    def app(environ, start_response):
        seen.append(environ["HTTP_X_REQUEST_ID"])
        start_response("200 OK", [])
        return [b""]

    call(router(app), headers=[(b"x-request-id", b"proxy-id-12345")])
    call(router(app), headers=[(b"x-request-id", b"<script>")])
    assert seen[0] == "proxy-id-12345"
    assert len(seen[1]) == 32
    assert seen[1] != "<script>"


def test_a_late_answer_is_sent_after_its_wait_with_the_thread_already_done():
    events = []

    async def gateway():
        events.append(("wait", threading.current_thread().name))

    def app(environ, start_response):
        response = respond_after(SimpleNamespace(META=environ), HttpResponse(b"sent"), gateway)
        start_response("200 OK", list(response.items()))
        response.close = lambda: events.append(("closed", threading.current_thread().name))
        return response

    response = call(router(app))
    assert response.body == b"sent"
    assert [what for what, _ in events] == ["closed", "wait"]
    closed_in, waited_in = (thread for _, thread in events)
    assert closed_in.startswith("wsgi")
    assert waited_in == "MainThread"


def test_a_failed_wait_answers_503_instead():
    async def gateway():
        raise ConnectionError("gateway down")

    def app(environ, start_response):
        response = respond_after(SimpleNamespace(META=environ), HttpResponse(b"sent"), gateway)
        start_response("200 OK", list(response.items()))
        return response

    response = call(router(app))
    assert response.status == 503
    assert json.loads(response.body)["code"] == "service_unavailable"


def test_a_wait_that_raises_a_service_error_answers_with_its_problem_in_the_request_language():
    async def gateway():
        raise ServiceError(problems.SMS_UNAVAILABLE, retry_after=30)

    def app(environ, start_response):
        with translation.override("ru"):
            response = respond_after(SimpleNamespace(META=environ), HttpResponse(b"sent"), gateway)
        start_response("200 OK", list(response.items()))
        return response

    response = call(router(app))
    assert response.status == 503
    assert response.headers[b"retry-after"] == b"30"
    body = json.loads(response.body)
    assert body["code"] == "sms_unavailable"
    with translation.override("ru"):
        assert body["title"] == str(problems.SMS_UNAVAILABLE.title)


def test_without_the_router_the_wait_happens_before_the_view_returns():
    events = []

    async def gateway():
        events.append("waited")

    respond_after(SimpleNamespace(META={}), HttpResponse(), gateway)
    assert events == ["waited"]


def test_a_long_response_is_streamed_in_pieces():
    piece = b"y" * (200 * 1024)

    def app(environ, start_response):
        start_response("200 OK", [])
        return iter([piece, piece, piece])

    response = call(router(app))
    assert response.body == piece * 3
    assert len([m for m in response.messages if m["type"] == "http.response.body"]) > 1


@pytest.mark.parametrize("phase", ["startup", "shutdown"])
def test_lifespan_events_are_acknowledged(phase):
    app = router()
    sent = []
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert f"lifespan.{phase}.complete" in sent
