from django.urls import path
from django.views.decorators.cache import never_cache

from phoneref.auth import api

# Every answer carries a token, a code or personal data: no cache, shared or private, keeps it.
urlpatterns = [
    path("auth/request-code/", never_cache(api.CodeRequestApi.as_view()), name="api-request-code"),
    path("auth/verify-code/", never_cache(api.CodeVerifyApi.as_view()), name="api-verify-code"),
    path("auth/logout/", never_cache(api.LogoutApi.as_view()), name="api-logout"),
    path("auth/logout-all/", never_cache(api.LogoutAllApi.as_view()), name="api-logout-all"),
]
