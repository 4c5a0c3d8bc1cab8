"""What the web forms share: services' refusals shown beside fields, focus on the first error."""

import math

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from phoneref.core.errors import ServiceError, problems

NO_ATTEMPTS_LEFT = _("No tries left for this number today from your network.")


def wait_text(seconds: int) -> str:
    """`42` -> "42 seconds", `300` -> "5 minutes": a wait as a person would say it."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def service_error_text(error: ServiceError) -> str:
    """The error's message plus what the user can do about it: tries left, or how long to wait."""
    parts = [error.message]
    if error.code == problems.INVALID_CODE.code and "attempts_left" in error.extra:
        left = error.extra["attempts_left"]
        if left > 0:
            parts.append(
                ngettext("%(count)d try left.", "%(count)d tries left.", left) % {"count": left}
            )
        else:
            parts.append(str(NO_ATTEMPTS_LEFT))
    if error.retry_after:
        parts.append(str(_("Wait %(time)s.") % {"time": wait_text(error.retry_after)}))
    return " ".join(parts)


class FirstErrorFocusBoundField(forms.BoundField):
    """Puts the focus on the first field with an error, so a screen reader announces it at once.

    Without errors the widgets keep their own `autofocus`; with errors only the first field
    in error has it (False drops the attribute from the rendered widget).
    """

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        first_error = next((name for name in self.form.fields if name in self.form.errors), None)
        if first_error is not None:
            attrs["autofocus"] = self.name == first_error
        return attrs


class ServiceErrorForm(forms.Form):
    """Shows a service's refusal next to the field it concerns, in the user's language."""

    bound_field_class = FirstErrorFocusBoundField
    # Where a refusal that names no field of this form goes, e.g. a rate limit on the phone.
    service_error_field: str | None = None

    def add_service_error(self, error: ServiceError) -> None:
        field = error.field if error.field in self.fields else self.service_error_field
        self.add_error(field, forms.ValidationError(service_error_text(error), code=error.code))
