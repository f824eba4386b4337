from django.contrib import admin
from unfold.admin import ModelAdmin

from apps.backoffice.readonly import ReadOnlyAdminMixin

from .models import Connector, SandboxTransaction


@admin.register(Connector)
class ConnectorAdmin(ModelAdmin):
    list_display = ("public_id", "merchant", "code", "name", "status", "is_default", "livemode", "created_at")
    list_filter = ("code", "status", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "merchant__name")
    # credentials are encrypted and never shown back
    exclude = ("credentials_ciphertext",)
    readonly_fields = ("public_id", "merchant", "livemode", "code", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("reference", "operation", "status", "amount", "currency", "behaviour", "created_at")
    list_filter = ("operation", "status", "behaviour")
    search_fields = ("=reference", "=parent_reference", "=idempotency_key")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
