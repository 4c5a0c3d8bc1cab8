from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PhoneAuthConfig(AppConfig):
    name = "phoneref.auth"
    # "auth" is taken by django.contrib.auth.
    label = "phoneauth"
    verbose_name = _("Phone login")

    def ready(self) -> None:
        # Imported for its side effect, registering the bearer scheme with drf-spectacular;
        # in ready(), as Django has such imports made, it runs once every app is loaded,
        # whatever the module comes to import.
        from phoneref.auth import schema  # noqa: F401, PLC0415


class PasswordAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the site that only a password login opens."""

    # Named in INSTALLED_APPS; this module's default stays PhoneAuthConfig.
    default = False

    default_site = "phoneref.auth.admin_site.PasswordAdminSite"
