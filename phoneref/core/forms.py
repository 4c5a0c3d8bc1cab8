from django import forms

from phoneref.core.errors import ServiceError


class ServiceErrorFormMixin:
    """Shows a service's refusal next to the field it concerns, in the user's language."""

    def add_service_error(self, error: ServiceError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, forms.ValidationError(error.message, code=error.code))
