"""The connection protocol the production server speaks: uvicorn's httptools protocol with two
bounds a server facing clients directly needs and uvicorn lacks.

- A request head (request line and headers) over REQUEST_HEAD_MAX_BYTES is refused with 431
  and the connection closed, before the parser has buffered more than one read past the
  limit. Without it, a header of tens of megabytes was read whole into the worker's memory.
- Each request must arrive whole within REQUEST_READ_TIMEOUT_SECONDS of its first byte (of
  the connection, for the first request): a half-sent head is answered 408, a half-sent
  body ends the connection, and so does a connection that sends nothing at all. Idle time
  between requests stays uvicorn's keep-alive timeout.

uvicorn takes the class by its import path (`--http`, or the worker's `http` setting).
"""

import asyncio
import json
import logging
from typing import Any

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from phoneref.core.errors import Problem, problems
from phoneref.core.problem_details import PROBLEM_CONTENT_TYPE, problem_body

logger = logging.getLogger(__name__)


def raw_problem_response(problem: Problem) -> bytes:
    """A whole HTTP/1.1 response with `problem`'s body, closing the connection."""
    body = json.dumps(problem_body(problem), separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {problem.status} {_REASONS[problem.status]}\r\n"
        f"content-type: {PROBLEM_CONTENT_TYPE}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


_REASONS = {408: "Request Timeout", 431: "Request Header Fields Too Large"}

# After a refusal, how long what the client still sends is read and dropped before the
# connection closes. Closing at once, with its data unread, would make the kernel reset the
# connection, and a reset can destroy the refusal before the client has read it.
LINGER_SECONDS = 2.0


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_max_bytes = settings.REQUEST_HEAD_MAX_BYTES
        self.read_timeout = settings.REQUEST_READ_TIMEOUT_SECONDS
        self.reading_request = False
        self.reading_head = True
        self.read_bytes = 0
        self.head_bytes = 0
        self.read_deadline: asyncio.TimerHandle | None = None
        self.refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        super().data_received(data)
        # A head the parser still holds unfinished is counted by whole reads, so what it
        # buffers stays within one read past the limit; a finished one was measured exactly.
        if self.reading_head and not self.refused:
            self.read_bytes += len(data)
            if self.read_bytes > self.head_max_bytes:
                self._refuse(problems.REQUEST_HEADER_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.reading_request = True
        self.reading_head = True
        self.read_bytes = 0
        self.head_bytes = 0
        if self.read_deadline is None:
            self._start_read_deadline()

    def on_url(self, url: bytes) -> None:
        self.head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.reading_head = False
        if self.head_bytes > self.head_max_bytes:
            self._refuse(problems.REQUEST_HEADER_TOO_LARGE)
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        # Whatever the parser still hands over of a refused request goes nowhere.
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.refused:
            return
        super().on_message_complete()
        self.reading_request = False
        self._cancel_read_deadline()

    def _start_read_deadline(self) -> None:
        self.read_deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _cancel_read_deadline(self) -> None:
        if self.read_deadline is not None:
            self.read_deadline.cancel()
            self.read_deadline = None

    def _read_timed_out(self) -> None:
        self.read_deadline = None
        if self.transport.is_closing():
            return
        if self.reading_request and self.reading_head:
            self._refuse(problems.REQUEST_TIMEOUT)
        else:
            # Nothing was sent, or the body stalled after a head the app is already serving:
            # the connection goes, and the app sees the client leave.
            logger.info("closed a connection that sent no whole request in time")
            self.transport.close()

    def _refuse(self, problem: Problem) -> None:
        logger.info("refused a request: %s", problem.code)
        self.refused = True
        self._cancel_read_deadline()
        self.transport.write(raw_problem_response(problem))
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
