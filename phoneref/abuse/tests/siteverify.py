"""A local stand-in for the siteverify API of Turnstile and hCaptcha, on 127.0.0.1.

As the providers document it: a form POST of `secret`, `response`, `remoteip` (and, for
hCaptcha, `sitekey`); a JSON answer with `success` and `error-codes`. Tokens work once.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeSiteverify:
    def __init__(self, *, provider: str, secret: str, site_key: str = "") -> None:
        self.provider = provider
        self.secret = secret
        self.site_key = site_key
        self.tokens: set[str] = set()
        self.received: list[dict[str, str]] = []
        # Set to a status to answer every request with it, as a provider having trouble.
        self.failing_with: int | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/siteverify"

    def issue(self, token: str) -> str:
        """A token the widget would have handed a person who passed the check."""
        self.tokens.add(token)
        return token

    def start(self) -> "FakeSiteverify":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def verdict(self, form: dict[str, str]) -> dict:
        errors = []
        if form.get("secret") != self.secret:
            errors.append("invalid-input-secret")
        if self.provider == "hcaptcha" and form.get("sitekey") != self.site_key:
            errors.append("sitekey-secret-mismatch")
        token = form.get("response", "")
        if not token:
            errors.append("missing-input-response")
        elif token not in self.tokens:
            errors.append("invalid-input-response")
        if errors:
            return {"success": False, "error-codes": errors}
        self.tokens.discard(token)
        return {"success": True, "error-codes": [], "hostname": "localhost"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                fields = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                form = {name: values[0] for name, values in fields.items()}
                fake.received.append(form)
                if fake.failing_with is not None:
                    self.send_response(fake.failing_with)
                    self.end_headers()
                    self.wfile.write(b"upstream trouble")
                    return
                body = json.dumps(fake.verdict(form)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args) -> None:
                pass

        return Handler
