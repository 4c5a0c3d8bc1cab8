from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from phoneref.auth.models import ClientAddress, PhoneLogin


@admin.register(PhoneLogin)
class PhoneLoginAdmin(admin.ModelAdmin):
    """Metadata only: the code is stored as an HMAC and never shown."""

    list_display = readonly_fields = fields = (
        "phone",
        "code_sent_at",
        "code_expires_at",
        "code_failed_attempts",
        "code_used_at",
        "has_live_code",
    )
    search_fields = ["phone"]
    ordering = ["-code_sent_at"]

    @admin.display(boolean=True, description=_("live code"))
    def has_live_code(self, obj: PhoneLogin) -> bool:
        return bool(obj.code_digest)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClientAddress)
class ClientAddressAdmin(admin.ModelAdmin):
    list_display = ["network", "updated_at"]
    search_fields = ["network"]

    def has_add_permission(self, request) -> bool:
        return False
