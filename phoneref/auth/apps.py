from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PhoneAuthConfig(AppConfig):
    name = "phoneref.auth"
    # "auth" is taken by django.contrib.auth.
    label = "phoneauth"
    verbose_name = _("Phone login")

    def ready(self) -> None:
        # Registers the bearer scheme with drf-spectacular.
        from phoneref.auth import schema  # noqa: F401


class PasswordAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the site that only a password login opens."""

    # Named in INSTALLED_APPS; this module's default stays PhoneAuthConfig.
    default = False

    default_site = "phoneref.auth.admin_site.PasswordAdminSite"
