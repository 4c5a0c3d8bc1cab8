from django.urls import path

from phoneref.auth import api

urlpatterns = [
    path("auth/request-code/", api.CodeRequestApi.as_view(), name="api-request-code"),
    path("auth/verify-code/", api.CodeVerifyApi.as_view(), name="api-verify-code"),
    path("auth/logout/", api.LogoutApi.as_view(), name="api-logout"),
    path("auth/logout-all/", api.LogoutAllApi.as_view(), name="api-logout-all"),
]
