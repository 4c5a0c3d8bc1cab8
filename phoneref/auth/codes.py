"""One-time login codes: made with `secrets`, kept only as an HMAC, compared in constant time."""

import re
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

_HMAC_SALT = "phoneref.auth.codes"

CODE_FORMAT_MESSAGE = _("Enter the %(length)s-digit code from the message.")


def login_code_generate() -> str:
    # One draw for the whole number rather than one per digit: each draw is a system call,
    # and a crowd of code requests makes thousands. Zero-padded, so 0000 comes up as often
    # as any other code.
    length = settings.OTP_CODE_LENGTH
    return f"{secrets.randbelow(10**length):0{length}d}"


def login_code_digest(*, phone: str, code: str) -> str:
    # Keyed by SECRET_KEY and bound to the phone, so a leaked table reveals no codes and a
    # digest cannot be replayed for another number.
    return salted_hmac(_HMAC_SALT, f"{phone}:{code}", algorithm="sha256").hexdigest()


def login_code_matches(*, phone: str, code: str, digest: str) -> bool:
    return bool(digest) and constant_time_compare(login_code_digest(phone=phone, code=code), digest)


def login_code_pattern() -> re.Pattern[str]:
    """ASCII digits only: `\\d` would let other scripts' digits through."""
    return re.compile(f"[0-9]{{{settings.OTP_CODE_LENGTH}}}")


def login_code_format_message() -> str:
    return CODE_FORMAT_MESSAGE % {"length": settings.OTP_CODE_LENGTH}
