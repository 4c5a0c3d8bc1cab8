import re
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from phoneref.users.models import User

# What knox issues: 64 hex characters. Anything else is refused before it reaches the
# database (a NUL byte or stray unicode there would be a server error, not a 401).
_TOKEN_SHAPE = re.compile(rb"[0-9a-f]{64}")


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>`, sliding expiry capped at TOKEN_MAX_AGE (knox's rules).

    One indexed lookup, by the token's key prefix, reads the token with its whole user row.
    """

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        plain = token.decode()
        digest = hash_token(plain)
        # Knox also deletes the user's other expired tokens here, a query on every request;
        # `manage.py purge_expired` deletes them all once a day instead.
        candidates = AuthToken.objects.select_related("user").filter(
            token_key=plain[: CONSTANTS.TOKEN_KEY_LENGTH]
        )
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                username = auth_token.user.get_username()
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                break
            if knox_settings.AUTO_REFRESH and auth_token.expiry:
                self.renew_token(auth_token)
            return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(_("Invalid token."))
