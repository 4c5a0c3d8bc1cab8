import re
from collections.abc import Callable
from functools import cache
from hmac import compare_digest

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from phoneref.users.models import User

# What knox issues: 64 hex characters. Anything else is refused before it reaches the
# database (a NUL byte or stray unicode there would be a server error, not a 401).
_TOKEN_SHAPE = re.compile(rb"[0-9a-f]{64}")


def _loaded_fields(model, wanted: set[str]) -> tuple[str, ...]:
    # In the model's own order, as Model.from_db expects the values.
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


# The columns a request needs; the rest of the user row (password, admin flags, the failure
# log) loads on first use, which API requests never make.
_TOKEN_FIELDS = _loaded_fields(AuthToken, {"digest", "token_key", "user_id", "created", "expiry"})
_USER_FIELDS = _loaded_fields(
    User,
    {
        "id",
        "phone",
        "invite_code",
        "referred_by_id",
        "referred_at",
        "referrals_count",
        "date_joined",
        "is_active",
    },
)


def _columns(model, fields: tuple[str, ...], alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(model._meta.get_field(f).column)}" for f in fields)


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>`, sliding expiry capped at TOKEN_MAX_AGE (knox).

    Knox's rules, one query: the token rows of the key prefix joined to their user (the
    prefix is indexed). Built by the ORM, that query cost more than the rest of a profile
    request; its SQL is written once here instead.

    A view that reads more about the user on every request can save itself the round trip:
    its subclass gives a function of no arguments in `user_extras_sql` that names SQL
    select-list expressions over the user row (alias `u`), and gets their values, read in the
    same statement, in `user_extras`.
    """

    user_extras_sql: Callable[[], str] | None = None

    def user_extras(self, user: User, values: tuple) -> None:
        """Receives the values of `user_extras_sql` read with `user`."""

    def authenticate_credentials(self, token: bytes):
        if not _TOKEN_SHAPE.fullmatch(token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        plain = token.decode()
        digest = hash_token(plain)
        extras_sql = self.user_extras_sql() if self.user_extras_sql else ""
        key = plain[: CONSTANTS.TOKEN_KEY_LENGTH]
        for auth_token, extras in _tokens_with_user(key, extras_sql):
            if not compare_digest(digest, auth_token.digest):
                continue
            if self._cleanup_token(auth_token):
                break
            if knox_settings.AUTO_REFRESH and auth_token.expiry:
                self.renew_token(auth_token)
            if extras_sql:
                self.user_extras(auth_token.user, extras)
            return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(_("Invalid token."))

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        # knox also sweeps all the user's other tokens here, a query on every request;
        # `manage.py purge_expired` removes expired tokens instead.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


_TOKENS_WITH_USER_SQL = """
SELECT {token_columns}, {user_columns}{extras}
FROM {tokens} t JOIN {users} u ON u.id = t.user_id
WHERE t.token_key = %s
"""


@cache
def _tokens_with_user_sql(extras_sql: str) -> str:
    quote = connection.ops.quote_name
    return _TOKENS_WITH_USER_SQL.format(
        token_columns=_columns(AuthToken, _TOKEN_FIELDS, "t"),
        user_columns=_columns(User, _USER_FIELDS, "u"),
        extras=f", {extras_sql}" if extras_sql else "",
        tokens=quote(AuthToken._meta.db_table),
        users=quote(User._meta.db_table),
    )


def _tokens_with_user(token_key: str, extras_sql: str) -> list[tuple[AuthToken, tuple]]:
    """The tokens of the key prefix with their users, and the values of `extras_sql`."""
    user_end = len(_TOKEN_FIELDS) + len(_USER_FIELDS)
    tokens = []
    with connection.cursor() as cursor:
        cursor.execute(_tokens_with_user_sql(extras_sql), [token_key])
        # psycopg hands back the values the fields hold: no converter is needed on the way.
        for row in cursor.fetchall():
            auth_token = AuthToken.from_db(
                connection.alias, _TOKEN_FIELDS, row[: len(_TOKEN_FIELDS)]
            )
            auth_token.user = User.from_db(
                connection.alias, _USER_FIELDS, row[len(_TOKEN_FIELDS) : user_end]
            )
            tokens.append((auth_token, row[user_end:]))
    return tokens
