from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneAuthConfig(AppConfig):
    name = "phoneref.auth"
    # "auth" is taken by django.contrib.auth.
    label = "phoneauth"
    verbose_name = _("Phone login")

    def ready(self) -> None:
        # Registers the bearer scheme with drf-spectacular.
        from phoneref.auth import schema  # noqa: F401
