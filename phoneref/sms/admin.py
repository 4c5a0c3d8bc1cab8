from django.contrib import admin

from phoneref.sms.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only: these rows are the providers' word, kept for support and audits."""

    list_display = [
        "created_at",
        "phone",
        "backend",
        "status",
        "attempts",
        "error_code",
        "provider_message_id",
        "updated_at",
    ]
    list_filter = ["backend", "status"]
    search_fields = ["phone", "provider_message_id"]
    ordering = ["-created_at"]
    readonly_fields = list_display
    fields = list_display

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
