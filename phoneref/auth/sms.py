"""Pluggable SMS delivery, chosen by the SMS_BACKEND setting like Django's EMAIL_BACKEND.

`console` logs, `locmem` keeps an outbox for tests; a real provider is a subclass whose
`deliver` calls its HTTP API, and is named by its dotted path.
"""

import asyncio
import logging
import secrets
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from phoneref.core.phones import phone_masked

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    code: str


class BaseSmsBackend:
    async def send_login_code(self, *, phone: str, code: str) -> None:
        raise NotImplementedError


class SimulatedGatewayBackend(BaseSmsBackend):
    """Waits OTP_DELAY_MIN..OTP_DELAY_MAX seconds, as a gateway call would, without a thread."""

    async def send_login_code(self, *, phone: str, code: str) -> None:
        delay = secrets.SystemRandom().uniform(settings.OTP_DELAY_MIN, settings.OTP_DELAY_MAX)
        if delay > 0:
            await asyncio.sleep(delay)
        self.deliver(SmsMessage(phone=phone, code=code))

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
    """Appends to `phoneref.auth.sms.outbox`, which tests read and clear."""

    def deliver(self, message: SmsMessage) -> None:
        outbox.append(message)


_BACKENDS = {"console": ConsoleSmsBackend, "locmem": LocmemSmsBackend}


@cache
def _backend_class(name: str) -> type[BaseSmsBackend]:
    return _BACKENDS.get(name) or import_string(name)


def get_sms_backend() -> BaseSmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
