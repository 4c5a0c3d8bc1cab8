"""The API reference pages, ReDoc and Swagger UI, kept to files served by this server.

drf-spectacular-sidecar bundles both apps, so nothing needs another host; the content security
policy makes the browser refuse whatever they would still reach for (ReDoc's footer loads its
vendor's logo from a CDN).
"""

from typing import Any

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # Swagger UI is started by an inline script; ReDoc runs its search in a blob: worker.
        "script-src 'self' 'unsafe-inline'",
        "worker-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class _OwnFilesOnly(APIView):
    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


class RedocView(_OwnFilesOnly, SpectacularRedocView):
    # drf-spectacular's own template also loads web fonts from Google.
    template_name = "api/redoc.html"


class SwaggerView(_OwnFilesOnly, SpectacularSwaggerView):
    pass
