import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions

# What knox issues: 64 hex characters. Anything else is refused before it reaches the
# database (a NUL byte or stray unicode there would be a server error, not a 401).
_TOKEN_SHAPE = re.compile(rb"[0-9a-f]{64}")


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>`, sliding expiry capped at TOKEN_MAX_AGE (knox)."""

    def authenticate_credentials(self, token: bytes):
        if not _TOKEN_SHAPE.fullmatch(token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        # knox also sweeps all the user's other tokens here, a query on every request;
        # `manage.py purge_expired` removes expired tokens instead.
        return auth_token.expiry is not None and auth_token.expiry < timezone.now()
