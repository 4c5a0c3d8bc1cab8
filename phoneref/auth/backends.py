"""How a session was started tells what it may open.

Both backends restore the session's user the same way; what differs is the name Django
keeps in the session: the admin admits only sessions that the password backend started.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"
PHONE_CODE_BACKEND = "phoneref.auth.backends.PhoneCodeBackend"


class PhoneCodeBackend(ModelBackend):
    """Sessions started by a verified phone code (`login_code_verify`).

    It checks no credentials itself: `authenticate()` never admits anyone through it.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **credentials: Any,
    ) -> None:
        return None
