"""The gunicorn worker that `make serve` runs: uvicorn, with proxy headers left to Django."""

from uvicorn_worker import UvicornWorker


class Worker(UvicornWorker):
    CONFIG_KWARGS = {
        **UvicornWorker.CONFIG_KWARGS,
        # Django decides which proxies to trust (TRUSTED_PROXY_HOPS, SECURE_PROXY_SSL_HEADER);
        # uvicorn would otherwise take X-Forwarded-For from any peer on 127.0.0.1.
        "proxy_headers": False,
        "server_header": False,
        # phoneref.core.serving logs each request once, with its id and full duration.
        "access_log": False,
        "lifespan": "on",
        # uvicorn's httptools protocol with a cap on the request head and a read deadline.
        "http": "phoneref.server.protocol:BoundedHttpToolsProtocol",
    }
