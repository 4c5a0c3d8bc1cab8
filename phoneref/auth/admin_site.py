"""The admin, reached only through its own password login.

A web session started with a phone code is a user's session, even for a staff member: it
never opens the admin. The admin asks for the password, checks it under the staff login
limits (`staff_password_authenticate`) and only a session that its password started passes.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from phoneref.auth.backends import PASSWORD_BACKEND
from phoneref.auth.services import staff_password_authenticate
from phoneref.core.errors import ServiceError
from phoneref.core.forms import service_error_text
from phoneref.core.http import client_ip


class LimitedAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        if self.request is None:
            raise TypeError("the staff login limits count by client address: pass the request")
        try:
            self.user_cache = staff_password_authenticate(
                phone=username, password=password, client_ip=client_ip(self.request)
            )
        except ServiceError as error:
            raise ValidationError(service_error_text(error), code=error.code) from None
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PasswordAdminSite(admin.AdminSite):
    login_form = LimitedAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return (
            super().has_permission(request)
            and request.session.get(BACKEND_SESSION_KEY) == PASSWORD_BACKEND
        )
