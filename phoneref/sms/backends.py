"""Pluggable SMS delivery, chosen by the SMS_BACKEND setting like Django's EMAIL_BACKEND.

`console` logs and `locmem` keeps an outbox for tests, both after the simulated gateway
delay; `smsru` and `twilio` call those providers' HTTP APIs; any other name is a dotted path
to a BaseSmsBackend subclass. A backend either returns the provider's message id or raises
SmsError saying whether trying again may help.
"""

import asyncio
import logging
import secrets
import ssl
from dataclasses import dataclass
from functools import cache

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from phoneref.core.phones import phone_masked

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    code: str
    text: str


class SmsError(Exception):
    """The backend did not take the message. `code` is safe to store and log: it never holds
    the text, the number or a credential. `transient` failures may pass on a second try."""

    def __init__(self, code: str, *, transient: bool) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient


class BaseSmsBackend:
    # Real deliveries are recorded and guarded by a circuit breaker; simulated ones are not.
    real_delivery = True

    def __init__(self, name: str) -> None:
        self.name = name

    async def send(self, message: SmsMessage) -> str:
        """Hand the message over; the provider's message id ("" if it gives none)."""
        raise NotImplementedError


class SimulatedGatewayBackend(BaseSmsBackend):
    """Waits OTP_DELAY_MIN..OTP_DELAY_MAX seconds, as a gateway call would, without a thread."""

    real_delivery = False

    async def send(self, message: SmsMessage) -> str:
        delay = secrets.SystemRandom().uniform(settings.OTP_DELAY_MIN, settings.OTP_DELAY_MAX)
        if delay > 0:
            await asyncio.sleep(delay)
        self.deliver(message)
        return ""

    def deliver(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SimulatedGatewayBackend):
    def deliver(self, message: SmsMessage) -> None:
        if settings.DEMO_MODE:
            logger.info("login code for %s: %s (demo mode)", message.phone, message.code)
        else:
            logger.info("login code sent to %s", phone_masked(message.phone))


outbox: list[SmsMessage] = []


class LocmemSmsBackend(SimulatedGatewayBackend):
    """Appends to `phoneref.sms.backends.outbox`, which tests read and clear."""

    def deliver(self, message: SmsMessage) -> None:
        outbox.append(message)


@cache
def _tls_context() -> ssl.SSLContext:
    # Building one loads the CA bundle, which costs milliseconds; every client shares it.
    return httpx.create_ssl_context()


_client: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None


def http_client() -> httpx.AsyncClient:
    """The client of this event loop, which keeps provider connections open between sends.

    A server process runs one loop for its whole life; code that runs each call on a loop
    of its own (the test client, a management command) gets a new client with each loop.
    """
    global _client  # noqa: PLW0603
    loop = asyncio.get_running_loop()
    if _client is None or _client[0] is not loop:
        _client = (loop, httpx.AsyncClient(verify=_tls_context(), follow_redirects=False))
    return _client[1]


class HttpSmsBackend(BaseSmsBackend):
    """A provider behind an HTTP API: transport failures, 429 and 5xx may pass on a retry."""

    async def post(self, url: str, **kwargs) -> httpx.Response:
        try:
            response = await http_client().post(url, timeout=settings.SMS_TIMEOUT_SECONDS, **kwargs)
        except httpx.TimeoutException:
            raise SmsError("timeout", transient=True) from None
        except httpx.TransportError:
            raise SmsError("connection_error", transient=True) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsError(f"http_{response.status_code}", transient=True)
        return response

    @staticmethod
    def json_of(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # A page in place of the API's answer (a proxy in between) may be gone next time;
            # an error page from the API itself will not.
            raise SmsError(
                f"http_{response.status_code}_not_json", transient=response.status_code < 400
            )
        return body


# SMS.ru answers (https://sms.ru/api/send): `status_code` 100 is accepted; 220 (service busy)
# and 500 (server error) say to try again later; every other code is a refusal (wrong
# api_id, balance, number, sender name, limits) that a second try would meet again.
_SMSRU_ACCEPTED = 100
_SMSRU_TRANSIENT = {220, 500}


class SmsRuBackend(HttpSmsBackend):
    async def send(self, message: SmsMessage) -> str:
        form = {
            "api_id": settings.SMSRU_API_ID,
            "to": message.phone.removeprefix("+"),
            "msg": message.text,
            "json": "1",
        }
        if settings.SMSRU_FROM:
            form["from"] = settings.SMSRU_FROM
        response = await self.post(f"{settings.SMSRU_API_URL.rstrip('/')}/sms/send", data=form)
        body = self.json_of(response)
        # The request's own status first (authentication, balance), then the number's.
        self._check(body)
        number = (body.get("sms") or {}).get(form["to"]) or {}
        self._check(number)
        return str(number.get("sms_id") or "")

    @staticmethod
    def _check(answer: dict) -> None:
        status_code = answer.get("status_code")
        if status_code != _SMSRU_ACCEPTED:
            code = status_code if isinstance(status_code, int) else "no_status"
            raise SmsError(f"smsru_{code}", transient=status_code in _SMSRU_TRANSIENT)


class TwilioBackend(HttpSmsBackend):
    """Twilio Programmable Messaging: `POST .../Accounts/{sid}/Messages.json`, answered 201."""

    async def send(self, message: SmsMessage) -> str:
        form = {"To": message.phone, "Body": message.text}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            form["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            form["From"] = settings.TWILIO_FROM
        if settings.TWILIO_STATUS_CALLBACK_URL:
            form["StatusCallback"] = settings.TWILIO_STATUS_CALLBACK_URL
        sid = settings.TWILIO_ACCOUNT_SID
        url = f"{settings.TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        response = await self.post(url, data=form, auth=(sid, settings.TWILIO_AUTH_TOKEN))
        body = self.json_of(response)
        if response.status_code != 201:
            # Twilio's error answer: {"code": 21211, "message": ..., "status": 400}.
            code = body.get("code")
            raise SmsError(
                f"twilio_{code}" if isinstance(code, int) else f"http_{response.status_code}",
                transient=False,
            )
        return str(body.get("sid") or "")


_BACKENDS: dict[str, type[BaseSmsBackend]] = {
    "console": ConsoleSmsBackend,
    "locmem": LocmemSmsBackend,
    "smsru": SmsRuBackend,
    "twilio": TwilioBackend,
}


@cache
def _backends(setting: str) -> tuple[BaseSmsBackend, ...]:
    names = [name.strip() for name in setting.split(",") if name.strip()]
    return tuple((_BACKENDS.get(name) or import_string(name))(name) for name in names)


def sms_backends() -> tuple[BaseSmsBackend, ...]:
    """The backends of SMS_BACKEND, in the order they are tried."""
    return _backends(settings.SMS_BACKEND)
