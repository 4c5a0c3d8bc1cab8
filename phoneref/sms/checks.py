from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from phoneref.sms.fixed_codes import fixed_code_numbers


@checks.register()
def fixed_codes_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """OTP_TEST_NUMBERS is read at start-up, so a typo stops the server, not a login."""
    try:
        fixed_code_numbers()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="sms.E001")]
    return []
