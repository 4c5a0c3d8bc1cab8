"""The PEP 3333 environ of an ASGI HTTP request, its headers mapped by Django's own rules."""

import io
import sys
from typing import Any

from phoneref.server.deferral import DEFERRAL_KEY, DeferralSlot

Scope = dict[str, Any]


def wsgi_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The environ for an ASGI HTTP scope whose body has been read, with an empty deferral slot.

    Headers land where Django's ASGIRequest puts them, so a view sees the same META under
    either handler.
    """
    server = scope.get("server") or ("localhost", 80)
    root_path = scope.get("root_path", "")
    # An ASGI path includes the root path the application is mounted at; PEP 3333 splits it
    # into SCRIPT_NAME and PATH_INFO, as Django's ASGIRequest does.
    path = scope["path"].removeprefix(root_path) if root_path else scope["path"]
    environ: dict[str, Any] = {
        DEFERRAL_KEY: DeferralSlot(),
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path.encode().decode("latin-1"),
        "PATH_INFO": path.encode().decode("latin-1"),
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
