"""Log records that carry the request id, printed as text or as one JSON object per line."""

import json
import logging
import re
import uuid
from contextvars import ContextVar

from django.db import InterfaceError, OperationalError

REQUEST_ID_HEADER = "X-Request-ID"
# An id from our proxy is kept (it ties our lines to the proxy's); anything else is replaced.
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

# The id of the request being served, in its task or thread; "-" outside requests.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


def request_id_from(incoming: str) -> str:
    return incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex


# Attributes every LogRecord has; anything else was passed as `extra=` and is worth printing.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class DatabaseUnavailableFilter(logging.Filter):
    """A request refused because the database is away is one line, not a traceback each.

    Such requests answer 503 (the exception handler, `server_error`); the traceback says
    nothing the message does not, and an outage would bury the log in them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OperationalError | InterfaceError):
            # A class name has no "%": the message still formats with its args as they are,
            # positional or a mapping.
            record.msg = f"{record.msg} (database unavailable: {type(error).__name__})"
            record.exc_info = None
            record.exc_text = None
        return True


# Control characters (line breaks above all) and backslashes, written as escapes: a value
# from a request cannot start a line of its own or pass for one that we wrote.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else char.encode("unicode_escape").decode("ascii")


class PlainFormatter(logging.Formatter):
    """One line per record, whatever its message holds; a traceback still follows as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        original = record.message
        record.message = _UNSAFE.sub(_escaped, original)
        try:
            return super().formatMessage(record)
        finally:
            record.message = original


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRS
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
