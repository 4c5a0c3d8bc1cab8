"""How a session was started tells what it may open.

Both backends restore the session's user the same way; what differs is the name Django
keeps in the session: the admin admits only sessions that the password backend started.
"""

from django.contrib.auth.backends import ModelBackend

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"
PHONE_CODE_BACKEND = "phoneref.auth.backends.PhoneCodeBackend"


class PhoneCodeBackend(ModelBackend):
    """Sessions started by a verified phone code (`login_code_verify`).

    It checks no credentials itself: `authenticate()` never admits anyone through it.
    """

    def authenticate(self, request, **credentials):
        return None
