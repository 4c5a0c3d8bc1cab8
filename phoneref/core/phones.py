import re

import phonenumbers
from django.conf import settings

from phoneref.core.errors import ServiceError, problems

# Longer input cannot be a phone number; refusing it early keeps the parser's work bounded.
MAX_PHONE_INPUT_LENGTH = 32
# What we store. phonenumbers also accepts a few valid numbers outside it (6-digit service
# numbers, 16-digit toll-free ones); those cannot be stored, so they are refused as input.
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
E164_MAX_LENGTH = 16


def phone_to_e164(raw: str, *, field: str = "phone") -> str:
    """Normalise what a person typed (`8 (999) 123-45-67`, `+7 999 ...`) to E.164."""
    if not isinstance(raw, str) or len(raw) > MAX_PHONE_INPUT_LENGTH:
        raise ServiceError(problems.INVALID_PHONE, field=field)
    try:
        number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ServiceError(problems.INVALID_PHONE, field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise ServiceError(problems.INVALID_PHONE, field=field)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not re.match(E164_PATTERN, e164):
        raise ServiceError(problems.INVALID_PHONE, field=field)
    return e164


def phone_masked(e164: str) -> str:
    """`+79991234567` -> `+799*****567`: enough to tell numbers apart in logs, no more."""
    if len(e164) <= 7:
        return "*" * len(e164)
    return e164[:4] + "*" * (len(e164) - 7) + e164[-3:]
