"""Log lines: request ids, JSON output, one line per request refused for a database outage."""

import json
import logging
import sys

from django.db import OperationalError

from phoneref.core.logs import (
    DatabaseUnavailableFilter,
    JsonFormatter,
    PlainFormatter,
    request_id_var,
)


def record(msg: str, *args, exc: BaseException | None = None, **extra) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    made = logging.LogRecord("phoneref.test", logging.INFO, __file__, 1, msg, args, exc_info)
    made.__dict__.update(extra)
    return made


def test_every_response_carries_a_request_id(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32


def test_the_id_a_proxy_sent_is_kept_and_a_malformed_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-4f1c2a9e"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "no spaces allowed here"})
    assert kept["X-Request-ID"] == "edge-4f1c2a9e"
    assert replaced["X-Request-ID"] != "no spaces allowed here"


def test_json_lines_hold_the_message_and_the_extra_fields():
    token = request_id_var.set("abc12345")
    try:
        line = JsonFormatter().format(
            record("%s %s", "GET", "/healthz", status=200, duration_ms=1.5)
        )
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "GET /healthz"
    assert entry["status"] == 200
    assert entry["duration_ms"] == 1.5
    assert entry["level"] == "INFO"


def test_a_database_outage_is_one_line_without_a_traceback():
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        refused = record("%s: %s", "Service Unavailable", "/readyz", exc=sys.exc_info()[1])
    assert DatabaseUnavailableFilter().filter(refused)
    assert refused.exc_info is None
    assert refused.getMessage() == (
        "Service Unavailable: /readyz (database unavailable: OperationalError)"
    )


def test_other_errors_keep_their_traceback():
    try:
        raise ValueError("a bug")
    except ValueError:
        failed = record("%s: %s", "Internal Server Error", "/x", exc=sys.exc_info()[1])
    assert DatabaseUnavailableFilter().filter(failed)
    assert failed.exc_info is not None


def test_a_value_from_a_request_cannot_forge_a_plain_log_line():
    line = PlainFormatter("%(levelname)s %(message)s").format(
        record("%s %s", "GET", "/a\nINFO phoneref.requests forged\r\x1b[2K\\n")
    )
    assert "\n" not in line
    assert "\r" not in line
    assert line == "INFO GET /a\\nINFO phoneref.requests forged\\r\\x1b[2K\\\\n"


def test_a_plain_log_line_still_ends_with_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError as exc:
        line = PlainFormatter("%(message)s").format(record("failed", exc=exc))
    assert line.startswith("failed\nTraceback")


def test_a_django_warning_is_written_once_with_debug_on(settings):
    """Only by the root's handler: Django's own console one, for DEBUG, printed it again."""
    settings.DEBUG = True
    warning = logging.LogRecord(
        "django.security.csrf", logging.WARNING, __file__, 1, "Forbidden", (), None
    )
    on_the_way = []
    logger = logging.getLogger(warning.name)
    while logger.parent is not None:
        on_the_way += [
            h for h in logger.handlers if h.level <= warning.levelno and h.filter(warning)
        ]
        assert logger.propagate, logger.name
        logger = logger.parent
    assert on_the_way == []
    assert logger is logging.getLogger()
