from django.contrib import admin
from unfold.admin import ModelAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ModelAdmin):
    list_display = (
        "created_at",
        "action",
        "actor_type",
        "actor_label",
        "object_type",
        "object_id",
        "merchant",
        "request_id",
    )
    list_filter = ("actor_type", "action", "object_type", "created_at")
    search_fields = ("=object_id", "=actor_id", "actor_label", "action", "=request_id")
    date_hierarchy = "created_at"
    list_select_related = ("merchant",)
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
