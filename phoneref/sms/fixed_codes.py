"""Phones with fixed codes (OTP_TEST_NUMBERS) for app-store review and CI.

Their codes never reach a provider and they are exempt from send quotas; wrong codes count
against them as against any phone. Off unless set; config/settings.py refuses them with
DEBUG off unless OTP_TEST_NUMBERS_IN_PRODUCTION=1.
"""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from phoneref.core.errors import ServiceError
from phoneref.core.phones import phone_to_e164


@cache
def _parse(setting: str, code_length: int) -> dict[str, str]:
    numbers = {}
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        phone, _, code = entry.partition(":")
        try:
            e164 = phone_to_e164(phone.strip())
        except ServiceError:
            raise ImproperlyConfigured(
                f"OTP_TEST_NUMBERS: {phone!r} is not a phone number"
            ) from None
        code = code.strip()
        if not (code.isascii() and code.isdigit() and len(code) == code_length):
            raise ImproperlyConfigured(
                f"OTP_TEST_NUMBERS: the code of {e164} must be {code_length} digits"
            )
        numbers[e164] = code
    return numbers


def fixed_code_numbers() -> dict[str, str]:
    """E.164 number -> its fixed code."""
    return _parse(settings.OTP_TEST_NUMBERS, settings.OTP_CODE_LENGTH)


def fixed_code(phone: str) -> str | None:
    """The fixed code of `phone` (E.164), or None for every real number."""
    if not settings.OTP_TEST_NUMBERS:
        return None
    return fixed_code_numbers().get(phone)
