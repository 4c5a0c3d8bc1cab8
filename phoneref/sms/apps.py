from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "phoneref.sms"
    verbose_name = _("SMS delivery")

    def ready(self) -> None:
        # Imported for its side effect, registering the system check; in ready(), where
        # Django's docs have checks registered, it runs once every app is loaded.
        from phoneref.sms import checks  # noqa: F401, PLC0415
