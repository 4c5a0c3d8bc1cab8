from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "phoneref.sms"
    verbose_name = _("SMS delivery")

    def ready(self) -> None:
        from phoneref.sms import checks  # noqa: F401
