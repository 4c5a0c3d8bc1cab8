from django.urls import path

from phoneref.auth import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="login-verify"),
    path("login/resend/", views.resend_view, name="login-resend"),
    path("logout/", views.logout_view, name="logout"),
    path("i/<str:code>/", views.invite_landing_view, name="invite-landing"),
]
