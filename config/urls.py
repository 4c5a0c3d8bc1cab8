from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from phoneref.api import docs
from phoneref.core import views as core_views

urlpatterns = [
    path("api/v1/", include("phoneref.auth.api_urls")),
    path("api/v1/", include("phoneref.users.api_urls")),
    # One version, named here: drf-spectacular would take it from `?version=` into a header.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(api_version=settings.SPECTACULAR_SETTINGS["VERSION"]),
        name="schema",
    ),
    path("api/docs/", docs.RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/docs/swagger/", docs.SwaggerView.as_view(url_name="schema"), name="swagger"),
    # Last of the API: any other /api/ path (a missing trailing slash too) is not_found.
    re_path(r"^api/", core_views.api_not_found),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sms/", include("phoneref.sms.urls")),
    path("", include("phoneref.auth.urls")),
    path("", include("phoneref.users.urls")),
]

handler400 = "phoneref.core.views.bad_request"
handler403 = "phoneref.core.views.permission_denied"
handler404 = "phoneref.core.views.page_not_found"
handler500 = "phoneref.core.views.server_error"
