"""Headers reach a sync view's request exactly as Django's own ASGI handler would put them."""

import io
import itertools

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest

from phoneref.server.environ import wsgi_environ

BODY = b'{"phone": "+79161234567"}'

HEADER_SETS = {
    "plain": [(b"host", b"127.0.0.1"), (b"accept", b"application/json")],
    "underscore spoof": [
        (b"x-forwarded-for", b"203.0.113.1"),
        (b"x_forwarded_for", b"198.51.100.9"),
    ],
    "underscore alone": [(b"x_forwarded_for", b"198.51.100.9")],
    "repeated": [(b"x-forwarded-for", b"203.0.113.1"), (b"x-forwarded-for", b"10.0.0.1")],
    "non-ascii": [(b"x-name", "Анна é".encode()), (b"x-latin", "café".encode("latin-1"))],
    "content": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(BODY)).encode()),
    ],
    "mixed case": [(b"X-Request-ID", b"abc12345"), (b"accept-language", b"ru")],
}


def scope(headers, **fields) -> dict:
    return {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/auth/request-code/",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        **fields,
    }


def header_meta(meta: dict, *, with_length: bool) -> dict:
    # The environ's length is the body's as read; the client's header says the same when the
    # client sent one.
    content = {"CONTENT_TYPE", "CONTENT_LENGTH"} if with_length else {"CONTENT_TYPE"}
    return {key: value for key, value in meta.items() if key.startswith("HTTP_") or key in content}


@pytest.mark.parametrize(
    "names", [(name,) for name in HEADER_SETS] + list(itertools.combinations(HEADER_SETS, 2))
)
def test_the_environ_gives_the_headers_django_asgi_would(names):
    headers = [header for name in names for header in HEADER_SETS[name]]
    from_asgi = ASGIRequest(scope(headers), io.BytesIO(BODY)).META
    from_wsgi = WSGIRequest(wsgi_environ(scope(headers), BODY)).META
    with_length = "content" in names
    assert header_meta(from_wsgi, with_length=with_length) == header_meta(
        from_asgi, with_length=with_length
    )


def test_an_underscored_name_cannot_stand_in_for_forwarded_for():
    headers = HEADER_SETS["underscore spoof"]
    meta = WSGIRequest(wsgi_environ(scope(headers), b"")).META
    assert meta["HTTP_X_FORWARDED_FOR"] == "203.0.113.1"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"root_path": "/phoneref", "path": "/phoneref/api/v1/profile/"},
        {"root_path": "/phoneref", "path": "/phoneref/"},
        {"path": "/i/K7M2QX/", "query_string": b"next=%2Fprofile%2F&x=%D0%90"},
        {"path": "/профиль/", "query_string": b"a=1&a=2"},
        {"client": ("2001:db8::1", 443), "server": ("::1", 8443), "scheme": "https"},
    ],
)
def test_the_environ_gives_the_path_query_and_addresses_django_asgi_would(fields):
    asgi_request = ASGIRequest(scope([], **fields), io.BytesIO(b""))
    wsgi_request = WSGIRequest(wsgi_environ(scope([], **fields), b""))
    assert (wsgi_request.path, wsgi_request.path_info) == (
        asgi_request.path,
        asgi_request.path_info,
    )
    assert wsgi_request.GET == asgi_request.GET
    assert wsgi_request.scheme == asgi_request.scheme
    for key in ("SCRIPT_NAME", "QUERY_STRING", "REMOTE_ADDR", "SERVER_NAME", "SERVER_PORT"):
        assert wsgi_request.META[key] == asgi_request.META[key], key
