"""The production server's edges, over raw sockets: oversized heads and requests that never
finish are refused by the server itself, with no proxy in front."""

import contextlib
import json
import socket

import pytest

READ_TIMEOUT = "1"
# Far above READ_TIMEOUT: how long a test waits for the server to act, not a measurement.
PATIENCE = 20


@pytest.fixture(scope="module")
def server(start_server):
    return start_server(REQUEST_READ_TIMEOUT_SECONDS=READ_TIMEOUT, WEB_KEEPALIVE="1")


def connect(server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=PATIENCE)


def read_all(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def head(filler: int) -> bytes:
    return (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"X-Filler: "
        + b"a" * filler
        + b"\r\nConnection: close\r\n\r\n"
    )


def problem(answer: bytes) -> tuple[int, dict]:
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in headers.lower()
    return int(status_line.split()[1]), json.loads(body)


@pytest.mark.parametrize("size", [40 * 1024, 1024 * 1024, 32 * 1024 * 1024])
def test_a_request_head_over_the_limit_gets_431_and_the_connection_closes(server, size):
    with connect(server) as conn:
        # The server may refuse and stop reading before the client has sent it all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(head(size))
        answer = read_all(conn)
    status, body = problem(answer)
    assert status == 431
    assert body["code"] == "request_header_too_large"


def test_a_head_within_the_limit_is_served(server):
    with connect(server) as conn:
        conn.sendall(head(8 * 1024))
        answer = read_all(conn)
    assert answer.startswith(b"HTTP/1.1 200")


def test_a_half_sent_head_is_answered_408_and_dropped(server):
    with connect(server) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        answer = read_all(conn)
    status, body = problem(answer)
    assert status == 408
    assert body["code"] == "request_timeout"


def test_a_connection_that_sends_nothing_is_dropped(server):
    with connect(server) as conn:
        assert read_all(conn) == b""


def test_a_kept_alive_connection_left_idle_is_dropped(server):
    with connect(server) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = read_all(conn)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b'{"status": "ok"}')


def test_a_half_sent_body_ends_the_connection(server):
    with connect(server) as conn:
        conn.sendall(
            b"POST /api/v1/auth/request-code/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"phone": "+7'
        )
        answer = read_all(conn)
    # The head was whole, so the app took the request; the client that never finished its
    # body gets no answer, and the app saw it leave before doing anything.
    assert answer == b""


def test_the_server_logs_each_refusal_without_an_error(server):
    output = server.output()
    assert "refused a request: request_header_too_large" in output
    assert "refused a request: request_timeout" in output
    assert "Traceback" not in output
