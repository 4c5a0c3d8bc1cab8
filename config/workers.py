"""The gunicorn parts `make serve` uses: a uvicorn worker (proxy headers left to Django), a log."""

from typing import Any

from gunicorn.glogging import Logger as GunicornLogger
from uvicorn_worker import UvicornWorker


class Worker(UvicornWorker):
    # gunicorn's listeners until run() swaps in the plain sockets they wrap (gunicorn is untyped).
    sockets: list[Any]

    CONFIG_KWARGS = {
        **UvicornWorker.CONFIG_KWARGS,
        # Django decides which proxies to trust (TRUSTED_PROXY_HOPS, SECURE_PROXY_SSL_HEADER);
        # uvicorn would otherwise take X-Forwarded-For from any peer on 127.0.0.1.
        "proxy_headers": False,
        "server_header": False,
        # phoneref.server.app logs each request once, with its id and full duration.
        "access_log": False,
        "lifespan": "on",
        # uvicorn's httptools protocol with a cap on the request head and a read deadline.
        "http": "phoneref.server.protocol:BoundedHttpToolsProtocol",
    }

    def run(self) -> None:
        # uvloop closes a listening socket itself when the server stops, and detaches a plain
        # socket object so that nothing closes it again. gunicorn's wrapper is not one: uvloop
        # called its close(), which failed on the closed descriptor and was logged as
        # "Error while closing socket [Errno 9] Bad file descriptor" on every clean shutdown.
        self.sockets = [listener.sock for listener in self.sockets]
        super().run()


class Logger(GunicornLogger):
    """gunicorn's log, with the address in its "Listening at:" line.

    With --reuse-port each worker binds a socket of its own and the arbiter holds none, so the
    line it logs at start-up named no address ("Listening at:  (7477)").
    """

    def info(self, msg, *args, **kwargs) -> None:
        if msg.startswith("Listening at:") and args and not args[0]:
            args = (",".join(f"http://{bind}" for bind in self.cfg.bind), *args[1:])
        super().info(msg, *args, **kwargs)
