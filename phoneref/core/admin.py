from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows staff may look at but not make, change or delete here: what a service or an
    outside party wrote, or what changes only through an action that calls a service."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
