from django import forms
from django.utils.translation import gettext_lazy as _

from phoneref.core.forms import ServiceErrorFormMixin


class InviteActivateForm(ServiceErrorFormMixin, forms.Form):
    invite_code = forms.CharField(
        label=_("Invite code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
