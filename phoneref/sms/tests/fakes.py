"""Local fakes of the providers' HTTP APIs, on real sockets on 127.0.0.1.

Each answers as its provider documents: SMS.ru's `POST /sms/send` (json=1) and Twilio's
`POST /2010-04-01/Accounts/{sid}/Messages.json`. It records every request and answers with
the replies it is told to give, in order, then with `default` (success unless changed):

- "ok": the provider takes the message;
- "refused": the number is refused (SMS.ru 207, Twilio 400 with code 21211);
- "busy": SMS.ru's "try later" (status_code 220); Twilio has none, it answers 429;
- "500", "503", "429": that HTTP status;
- "not_json": 200 with an HTML page, as a captive proxy would;
- "hang": no answer until the fake stops (past any client timeout);
- "reset": the connection is reset before any answer.

Wrong credentials get the provider's authentication error whatever the plan says.
"""

import base64
import json
import socket
import struct
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

SMSRU_API_ID = "test-api-id-5f1e"
TWILIO_ACCOUNT_SID = "AC" + "0" * 30 + "1f"
TWILIO_AUTH_TOKEN = "test-auth-token-9c2d"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]

    def field(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A connection reset on purpose ends its handler with an error; nothing to report.
        pass


class FakeProvider:
    kind = ""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.default = "ok"
        self._plan: deque[str] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sent = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format, *args) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def plan(self, *replies: str) -> None:
        with self._lock:
            self._plan.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._plan.clear()
            self.requests.clear()
            self.default = "ok"

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _next_reply(self) -> str:
        with self._lock:
            return self._plan.popleft() if self._plan else self.default

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode()
        recorded = Recorded(
            method=handler.command,
            path=handler.path,
            headers=dict(handler.headers.items()),
            form=parse_qs(body, keep_blank_values=True),
        )
        with self._lock:
            self.requests.append(recorded)
        reply = self._next_reply()
        if reply == "hang":
            self._stopping.wait(timeout=30)
            return
        if reply == "reset":
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()
            handler.close_connection = True
            return
        if reply in {"500", "503", "429"}:
            self._answer(handler, int(reply), {"message": "server trouble"})
            return
        if reply == "not_json":
            self._answer(handler, 200, "<html>Gateway</html>", content_type="text/html")
            return
        self._answer_as_provider(handler, recorded, reply)

    def _answer_as_provider(self, handler, recorded: Recorded, reply: str) -> None:
        raise NotImplementedError

    def _message_id(self) -> int:
        with self._lock:
            self._sent += 1
            return self._sent

    @staticmethod
    def _answer(handler, status: int, body, *, content_type: str = "application/json") -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


class FakeSmsRu(FakeProvider):
    """https://sms.ru/api/send: HTTP 200 always, the outcome in `status_code`, per number too."""

    kind = "smsru"

    def _answer_as_provider(self, handler, recorded: Recorded, reply: str) -> None:
        if recorded.path != "/sms/send":
            self._answer(handler, 404, {"status": "ERROR", "status_code": 211})
            return
        if recorded.field("api_id") != SMSRU_API_ID:
            self._answer(
                handler,
                200,
                {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"},
            )
            return
        if reply == "busy":
            self._answer(
                handler,
                200,
                {"status": "ERROR", "status_code": 220, "status_text": "Сервис недоступен"},
            )
            return
        to = recorded.field("to") or ""
        if reply == "refused":
            number = {"status": "ERROR", "status_code": 207, "status_text": "Нельзя отправлять"}
        else:
            number = {
                "status": "OK",
                "status_code": 100,
                "sms_id": f"000000-{10000000 + self._message_id()}",
            }
        self._answer(
            handler,
            200,
            {"status": "OK", "status_code": 100, "sms": {to: number}, "balance": 4122.56},
        )


class FakeTwilio(FakeProvider):
    """Twilio's Messages resource: 201 with the message, or an error object with `code`."""

    kind = "twilio"

    def _answer_as_provider(self, handler, recorded: Recorded, reply: str) -> None:
        expected_path = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
        credentials = base64.b64encode(f"{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}".encode())
        if recorded.headers.get("Authorization") != f"Basic {credentials.decode()}":
            self._error(handler, 401, 20003, "Authenticate")
            return
        if recorded.path != expected_path:
            self._error(handler, 404, 20404, "The requested resource was not found")
            return
        if reply == "busy":
            self._error(handler, 429, 20429, "Too Many Requests")
            return
        if reply == "refused":
            self._error(handler, 400, 21211, "The 'To' number is not a valid phone number.")
            return
        sid = f"SM{self._message_id():032x}"
        self._answer(
            handler,
            201,
            {
                "sid": sid,
                "account_sid": TWILIO_ACCOUNT_SID,
                "to": recorded.field("To"),
                "from": recorded.field("From"),
                "messaging_service_sid": recorded.field("MessagingServiceSid"),
                "body": recorded.field("Body"),
                "status": "accepted" if recorded.field("MessagingServiceSid") else "queued",
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/{sid}.json",
            },
        )

    def _error(self, handler, status: int, code: int, message: str) -> None:
        self._answer(
            handler,
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )


def provider_settings(smsru: FakeSmsRu, twilio: FakeTwilio) -> dict[str, str]:
    """The settings (environment variables) that point both backends at these fakes."""
    return {
        "SMSRU_API_ID": SMSRU_API_ID,
        "SMSRU_API_URL": smsru.url,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM": "+15005550006",
        "TWILIO_API_URL": twilio.url,
    }
