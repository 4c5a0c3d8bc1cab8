from django.urls import path

from phoneref.users import api

urlpatterns = [
    path("profile/", api.ProfileApi.as_view(), name="api-profile"),
    path("profile/activate-invite/", api.InviteActivateApi.as_view(), name="api-activate-invite"),
    path("profile/referrals/", api.ReferralListApi.as_view(), name="api-referrals"),
]
