"""Sending a login code: the backends of SMS_BACKEND in order, each retried once on a
transient failure, skipped while its circuit breaker is open; every real attempt recorded.

The provider calls are awaits on the event loop, holding no thread and no database
connection; the database work (breaker rows read at most once a second, the delivery rows
written in one INSERT) runs once before and once after them.
"""

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings

from phoneref.core.db import call_and_release_connection
from phoneref.core.phones import phone_masked
from phoneref.sms.backends import BaseSmsBackend, SmsError, SmsMessage, sms_backends
from phoneref.sms.breaker import (
    breaker_open_for,
    breaker_record,
    breaker_refresh,
    breaker_retry_after,
    breaker_stale,
)
from phoneref.sms.models import Delivery

logger = logging.getLogger(__name__)

# Seconds before the one retry of a transient failure: long enough for a blip to pass,
# short beside the request's own wait.
_RETRY_BACKOFF = (0.2, 0.5)
FIXED_CODE_BACKEND = "test"


class SmsUnavailable(Exception):
    """No backend took the message; `retry_after` says when one may again."""

    def __init__(self, *, retry_after: int) -> None:
        super().__init__("no SMS backend accepted the message")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    backend: str
    attempts: int
    provider_message_id: str = ""
    error_code: str = ""

    @property
    def accepted(self) -> bool:
        return not self.error_code


async def sms_send(message: SmsMessage) -> None:
    """Deliver `message` through the first backend that takes it, or raise SmsUnavailable."""
    backends = sms_backends()
    real = [backend.name for backend in backends if backend.real_delivery]
    if real and breaker_stale(real):
        await call_and_release_connection(breaker_refresh, names=real)
    tried: list[Attempt] = []
    accepted = False
    for backend in backends:
        if not backend.real_delivery:
            await backend.send(message)
            accepted = True
            break
        if breaker_open_for(backend.name, now=time.time()) > 0:
            continue
        attempt = await _attempt(backend, message)
        tried.append(attempt)
        if attempt.accepted:
            accepted = True
            break
    if tried:
        await call_and_release_connection(_attempts_record, phone=message.phone, tried=tried)
    if not accepted:
        logger.error("no SMS backend took the message to %s", phone_masked(message.phone))
        raise SmsUnavailable(retry_after=breaker_retry_after(real, now=time.time()))


async def _attempt(backend: BaseSmsBackend, message: SmsMessage) -> Attempt:
    """One backend: a transient failure is tried once more after a short pause."""
    for attempt in (1, 2):
        try:
            async with asyncio.timeout(settings.SMS_TIMEOUT_SECONDS):
                message_id = await backend.send(message)
        except TimeoutError:
            error = SmsError("timeout", transient=True)
        except SmsError as refused:
            error = refused
        else:
            logger.info("SMS to %s taken by %s", phone_masked(message.phone), backend.name)
            return Attempt(backend.name, attempt, provider_message_id=message_id)
        logger.warning(
            "SMS backend %s failed for %s: %s (try %d)",
            backend.name,
            phone_masked(message.phone),
            error.code,
            attempt,
        )
        if not error.transient or attempt == 2:
            break
        await asyncio.sleep(secrets.SystemRandom().uniform(*_RETRY_BACKOFF))
    return Attempt(backend.name, attempt, error_code=error.code)


def _attempts_record(*, phone: str, tried: list[Attempt]) -> None:
    Delivery.objects.bulk_create(
        Delivery(
            phone=phone,
            backend=attempt.backend,
            provider_message_id=attempt.provider_message_id,
            status=Delivery.Status.QUEUED if attempt.accepted else Delivery.Status.FAILED,
            attempts=attempt.attempts,
            error_code=attempt.error_code,
        )
        for attempt in tried
    )
    for attempt in tried:
        breaker_record(attempt.backend, succeeded=attempt.accepted)


def fixed_code_delivery_record(*, phone: str) -> None:
    """A test number's code "sent": nothing leaves, but the use is logged and recorded."""
    logger.warning("login code requested for the test number %s (fixed code)", phone)
    Delivery.objects.create(phone=phone, backend=FIXED_CODE_BACKEND, status=Delivery.Status.SENT)
