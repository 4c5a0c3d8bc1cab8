from django.urls import path

from phoneref.users import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("profile/", views.profile_view, name="profile"),
    path("i/<str:code>/", views.invite_landing_view, name="invite-landing"),
]
