from django.contrib import admin

from phoneref.core.admin import ReadOnlyModelAdmin
from phoneref.sms.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    """Read-only: these rows are the providers' word, kept for support and audits."""

    list_display = readonly_fields = fields = (
        "created_at",
        "phone",
        "backend",
        "status",
        "attempts",
        "error_code",
        "provider_message_id",
        "updated_at",
    )
    list_filter = ["backend", "status"]
    search_fields = ["phone", "provider_message_id"]
    ordering = ["-created_at"]
