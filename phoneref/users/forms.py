from django import forms
from django.utils.translation import gettext_lazy as _

from phoneref.core.forms import ServiceErrorForm
from phoneref.users.invite_codes import MAX_INPUT_LENGTH


class InviteActivateForm(ServiceErrorForm):
    # The activation limit concerns this one field, so its refusal is shown beside it.
    service_error_field = "invite_code"

    invite_code = forms.CharField(
        label=_("Invite code"),
        help_text=_("Six letters and digits, for example K7M2QX."),
        max_length=MAX_INPUT_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
