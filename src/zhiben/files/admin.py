from django.contrib import admin

from .models import StoredFile


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    """Read-only: rows are written only by ``store_upload``."""

    list_display = ["sha256", "kind", "content_type", "size", "width", "height", "has_thumbnail", "created_at"]
    list_filter = ["kind", "content_type", "has_thumbnail"]
    search_fields = ["sha256"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
