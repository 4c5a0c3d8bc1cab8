"""The text of a login code message, in the language of the request that asked for it."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

# iOS offers a code from a message that says "code" (or «код») near the digits; the last line
# is the WebOTP line, which binds the code to the site so browsers and Android fill it in.
# Each wording stays within one SMS segment for a host of 20-odd characters: 160 GSM-7
# characters in English, 70 UCS-2 ones in Russian.


def login_code_text(*, code: str, host: str, language: str) -> str:
    minutes = max(1, settings.OTP_TTL_SECONDS // 60)
    with translation.override(language):
        text = ngettext(
            "Your login code: %(code)s. Valid for %(minutes)d minute.",
            "Your login code: %(code)s. Valid for %(minutes)d minutes.",
            minutes,
        ) % {"code": code, "minutes": minutes}
    return f"{text}\n@{host} #{code}"
