from django.urls import path
from django.views.decorators.cache import never_cache

from phoneref.users import api

# Every answer carries a token, a code or personal data: no cache, shared or private, keeps it.
urlpatterns = [
    path("profile/", never_cache(api.ProfileApi.as_view()), name="api-profile"),
    path(
        "profile/activate-invite/",
        never_cache(api.InviteActivateApi.as_view()),
        name="api-activate-invite",
    ),
    path("profile/referrals/", never_cache(api.ReferralListApi.as_view()), name="api-referrals"),
]
