"""How OpenAPI describes our bearer tokens; drf-spectacular finds this class by its target."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "phoneref.auth.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
        scheme["description"] = (
            "The `token` from `POST /api/v1/auth/verify-code/`, sent as "
            f"`Authorization: Bearer <token>`. It expires after {settings.TOKEN_TTL.days} days "
            f"without use and {settings.TOKEN_MAX_AGE.days} days after login at most."
        )
        return scheme
