"""Which numbers may receive a code: their type (mobile) and their country."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from phonenumbers import PhoneNumber, PhoneNumberType

from phoneref.core.errors import ServiceError, problems


def number_parse(e164: str) -> PhoneNumber:
    return phonenumbers.parse(e164)


def number_type_check(number: PhoneNumber) -> None:
    """Premium-rate, toll-free, VoIP, fixed-line and other non-mobile numbers get no code."""
    if phonenumbers.number_type(number) not in _allowed_types():
        raise ServiceError(problems.PHONE_NOT_MOBILE, field="phone")


def number_country_check(number: PhoneNumber) -> None:
    allowed = settings.OTP_ALLOWED_COUNTRIES
    if "*" in allowed:
        return
    if phonenumbers.region_code_for_number(number) not in allowed:
        raise ServiceError(problems.COUNTRY_NOT_ALLOWED, field="phone")


def _allowed_types() -> set[int]:
    try:
        names = settings.OTP_ALLOWED_NUMBER_TYPES
        return {getattr(PhoneNumberType, name.strip().upper()) for name in names}
    except AttributeError as exc:
        raise ImproperlyConfigured(
            f"OTP_ALLOWED_NUMBER_TYPES: {exc.name} is not a phonenumbers PhoneNumberType"
        ) from None
