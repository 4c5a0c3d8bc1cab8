from django import forms
from django.utils.translation import gettext_lazy as _

from phoneref.core.forms import ServiceErrorFormMixin


class PhoneForm(ServiceErrorFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "+7 999 123-45-67"}
        ),
    )


class CodeForm(ServiceErrorFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code from the message"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    invite_code = forms.CharField(
        label=_("Invite code (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
