from django import forms
from django.utils.translation import gettext_lazy as _

from phoneref.core.forms import ServiceErrorForm
from phoneref.core.phones import MAX_PHONE_INPUT_LENGTH
from phoneref.users.invite_codes import MAX_INPUT_LENGTH as MAX_INVITE_CODE_INPUT_LENGTH


class TelInput(forms.TextInput):
    input_type = "tel"


class PhoneForm(ServiceErrorForm):
    # Send limits concern the number, so their refusals are shown beside it.
    service_error_field = "phone"

    phone = forms.CharField(
        label=_("Phone number"),
        max_length=MAX_PHONE_INPUT_LENGTH,
        help_text=_(
            'Any format will do, for example <span class="nowrap">+7 999 123-45-67</span> or '
            '<span class="nowrap">8 999 123-45-67</span>.'
        ),
        widget=TelInput(attrs={"autocomplete": "tel", "autofocus": True}),
    )


class CodeForm(ServiceErrorForm):
    # "Too many wrong codes" concerns the code, so it is shown beside it.
    service_error_field = "code"

    code = forms.CharField(
        label=_("Code from the message"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "code-input",
            }
        ),
    )
    invite_code = forms.CharField(
        label=_("Invite code"),
        help_text=_("If someone invited you, enter their code."),
        max_length=MAX_INVITE_CODE_INPUT_LENGTH,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
