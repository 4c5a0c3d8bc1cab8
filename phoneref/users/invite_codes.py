"""Invite codes: six characters from an alphabet with no look-alikes."""

import re
import secrets

from django.http import HttpRequest
from django.urls import reverse

from phoneref.core.errors import ServiceError, problems

# No 0/O, 1/I/L: a code read aloud or copied by hand cannot be mistaken.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
PATTERN = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")

_SEPARATORS = re.compile(r"[\s\-]+")
# A sanity cap on what is worth parsing; nobody types a 6-character code with 26 dashes.
MAX_INPUT_LENGTH = 32


def invite_code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def invite_code_normalize(raw: object, *, field: str = "invite_code") -> str:
    """`k7m-2qx ` -> `K7M2QX`. Raises `invalid_invite_code` when it cannot be a code."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT_LENGTH:
        raise ServiceError(problems.INVALID_INVITE_CODE, field=field)
    # Case and separators are how people copy codes; the look-alikes 0 O 1 I L are not in
    # the alphabet at all, so there is nothing to map them to and they are refused.
    code = _SEPARATORS.sub("", raw).upper()
    if not PATTERN.fullmatch(code):
        raise ServiceError(problems.INVALID_INVITE_CODE, field=field)
    return code


def invite_link(request: HttpRequest, code: str) -> str:
    """The absolute sign-up link that carries `code` (the referral landing page)."""
    return request.build_absolute_uri(reverse("invite-landing", kwargs={"code": code}))
