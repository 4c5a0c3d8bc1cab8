import re
from collections.abc import Callable
from functools import cache
from hmac import compare_digest
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import Col
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

    One indexed lookup, by the token's key prefix, reads the token with its whole user row
    (`tokens_with_user`).
    """

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        plain = token.decode()
        digest = hash_token(plain)
        # Knox also deletes the user's other expired tokens here, a query on every request;
        # `manage.py purge_expired` deletes them all once a day instead, telling the same receivers.
        for auth_token in tokens_with_user(plain[: CONSTANTS.TOKEN_KEY_LENGTH]):
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


def tokens_with_user(token_key: str) -> list[AuthToken]:
    """The tokens whose indexed key prefix is `token_key`, each with its whole user row: what
    `AuthToken.objects.select_related("user").filter(token_key=token_key)` gives.

    Written as one statement built once, because the ORM took longer to build that query than
    the database took to run it. The rows become model instances the way the ORM makes them:
    every value through its field's converters, then `Model.from_db`.
    """
    sql, tokens, users = _token_with_user_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_key])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        auth_token = tokens.instance(row[: tokens.width])
        auth_token.user = users.instance(row[tokens.width :])
        found.append(auth_token)
    return found


_M = TypeVar("_M", bound=Model)


class _RowLoader(Generic[_M]):
    """Instances of `model` from its concrete columns, selected from `model`'s table."""

    def __init__(self, model: type[_M]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.width = len(fields)
        self.attnames = [field.attname for field in fields]
        quote, table = connection.ops.quote_name, model._meta.db_table
        self.columns = [f"{quote(table)}.{quote(field.column)}" for field in fields]
        self.converters: list[tuple[int, list[Callable[..., Any]], Col]] = []
        for index, field in enumerate(fields):
            column = field.get_col(table)
            # What the ORM's compiler applies: the backend's converters, then the field's.
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            if converters:
                self.converters.append((index, converters, column))

    def instance(self, row: tuple[Any, ...]) -> _M:
        values = list(row)
        for index, converters, column in self.converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


# Every name in it comes from the models' _meta, quoted; the key is the one parameter.
_TOKEN_WITH_USER_SQL = (
    "SELECT {columns} FROM {token} INNER JOIN {user} ON {user}.{user_pk} = {token}.{token_user}"
    " WHERE {token}.{token_key} = %s"
)


@cache
def _token_with_user_statement() -> tuple[str, _RowLoader[AuthToken], _RowLoader[User]]:
    tokens, users = _RowLoader(AuthToken), _RowLoader(User)
    quote, token_meta = connection.ops.quote_name, AuthToken._meta
    sql = _TOKEN_WITH_USER_SQL.format(
        columns=", ".join(tokens.columns + users.columns),
        token=quote(token_meta.db_table),
        user=quote(User._meta.db_table),
        user_pk=quote(User._meta.pk.column),
        token_user=quote(token_meta.get_field("user").column),
        token_key=quote(token_meta.get_field("token_key").column),
    )
    return sql, tokens, users
