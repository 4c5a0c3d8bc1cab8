"""The ASGI bridge: one thread hop per request, body limits, request ids, deferred waits."""

import asyncio
import json
import threading
from types import SimpleNamespace

import pytest
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from phoneref.api.exceptions import service_error_problem
from phoneref.core.errors import ServiceError, problems
from phoneref.server.app import WsgiBridge
from phoneref.server.deferral import defer_until_released

LIMIT = 1024


def wsgi_app(environ, start_response):
    """Answers with where it ran and what it was sent."""
    body = environ["wsgi.input"].read()
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [threading.current_thread().name.encode(), b"|", body]


def router(wsgi=wsgi_app) -> WsgiBridge:
    return WsgiBridge(wsgi_app=wsgi, threads=2, max_body_bytes=LIMIT)


def call(app, path="/healthz", *, method="POST", chunks=(b"",), headers=()):
    scope = {
        "type": "http",
        "method": method,
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


def deferring_app(wait, *, if_refused=service_error_problem, body=b"sent", headers=()):
    """A WSGI app whose view defers `wait`, as a view under Django would."""

    def app(environ, start_response):
        defer_until_released(SimpleNamespace(META=environ), wait, if_refused=if_refused)
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [body]

    return app


def test_a_deferred_wait_runs_on_the_loop_once_the_thread_is_done_then_the_answer_goes():
    events = []

    async def gateway():
        events.append(("wait", threading.current_thread().name))

    class Answer(HttpResponse):
        def close(self):
            events.append(("closed", threading.current_thread().name))
            super().close()

    def app(environ, start_response):
        defer_until_released(
            SimpleNamespace(META=environ), gateway, if_refused=service_error_problem
        )
        response = Answer(b"sent")
        start_response("200 OK", list(response.items()))
        return response

    response = call(router(app))
    assert response.status == 200
    assert response.body == b"sent"
    assert [what for what, _ in events] == ["closed", "wait"]
    closed_in, waited_in = (thread for _, thread in events)
    assert closed_in.startswith("wsgi")
    assert waited_in == "MainThread"


def test_a_failed_wait_answers_503_and_keeps_the_request_id():
    async def gateway():
        raise ConnectionError("https://provider.example/send?api_key=secret")

    app = deferring_app(gateway, headers=[("X-Request-ID", "req-12345678")])
    response = call(router(app))
    assert response.status == 503
    assert json.loads(response.body)["code"] == "service_unavailable"
    assert response.headers[b"x-request-id"] == b"req-12345678"
    assert response.headers[b"content-type"] == b"application/problem+json"


def test_a_failed_wait_is_logged_without_its_message(caplog):
    async def gateway():
        raise ConnectionError("https://provider.example/send?api_key=secret")

    call(router(deferring_app(gateway)))
    (record,) = [r for r in caplog.records if r.name == "phoneref.server.app"]
    assert "ConnectionError" in record.getMessage()
    assert "secret" not in record.getMessage()
    assert record.exc_info is None


def test_a_wait_that_raises_a_service_error_answers_with_its_problem_in_the_request_language():
    async def gateway():
        raise ServiceError(problems.SMS_UNAVAILABLE, retry_after=30)

    def app(environ, start_response):
        with translation.override("ru"):
            defer_until_released(
                SimpleNamespace(META=environ), gateway, if_refused=service_error_problem
            )
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"sent": true}']

    response = call(router(app))
    assert response.status == 503
    assert response.headers[b"retry-after"] == b"30"
    assert response.headers[b"content-type"] == b"application/problem+json"
    assert int(response.headers[b"content-length"]) == len(response.body)
    body = json.loads(response.body)
    assert body["code"] == "sms_unavailable"
    with translation.override("ru"):
        assert body["title"] == str(problems.SMS_UNAVAILABLE.title)


def test_a_refusal_s_answer_keeps_the_view_s_cookies_unless_it_sets_them_itself():
    async def gateway():
        raise ServiceError(problems.SMS_UNAVAILABLE)

    def back_to_login(error):
        answer = HttpResponseRedirect("/login/")
        answer.set_cookie("messages", "refused")
        return answer

    view_headers = [
        ("Set-Cookie", "sessionid=abc; Path=/"),
        ("Set-Cookie", "messages=sent; Path=/"),
        ("Location", "/login/verify/"),
        ("X-Frame-Options", "DENY"),
    ]
    app = deferring_app(gateway, if_refused=back_to_login, headers=view_headers)
    response = call(router(app))
    start = response.messages[0]
    assert response.status == 302
    assert response.headers[b"location"] == b"/login/"
    assert response.headers[b"x-frame-options"] == b"DENY"
    cookies = [value for name, value in start["headers"] if name == b"set-cookie"]
    assert cookies[0] == b"sessionid=abc; Path=/"
    assert [c.split(b";")[0] for c in cookies] == [b"sessionid=abc", b"messages=refused"]
    assert [name for name, _ in start["headers"]].count(b"content-type") == 1


def test_a_request_defers_one_wait_at_most():
    async def gateway():
        return None

    def app(environ, start_response):
        request = SimpleNamespace(META=environ)
        defer_until_released(request, gateway, if_refused=service_error_problem)
        with pytest.raises(RuntimeError):
            defer_until_released(request, gateway, if_refused=service_error_problem)
        start_response("200 OK", [])
        return [b"once"]

    assert call(router(app)).body == b"once"


def test_without_the_server_the_wait_happens_in_place_and_its_refusal_reaches_the_view():
    events = []

    async def gateway():
        events.append("waited")

    defer_until_released(SimpleNamespace(META={}), gateway, if_refused=service_error_problem)
    assert events == ["waited"]

    async def refused():
        raise ServiceError(problems.SMS_UNAVAILABLE)

    with pytest.raises(ServiceError):
        defer_until_released(SimpleNamespace(META={}), refused, if_refused=service_error_problem)


def test_a_long_response_with_a_deferred_wait_is_held_whole_until_the_wait_is_done():
    piece = b"y" * (200 * 1024)

    async def gateway():
        raise ServiceError(problems.SMS_UNAVAILABLE)

    def app(environ, start_response):
        defer_until_released(
            SimpleNamespace(META=environ), gateway, if_refused=service_error_problem
        )
        start_response("200 OK", [])
        return iter([piece, piece, piece])

    response = call(router(app))
    assert response.status == 503
    assert json.loads(response.body)["code"] == "sms_unavailable"


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
