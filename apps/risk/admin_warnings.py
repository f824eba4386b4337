"""The early fraud warnings page of the risk back office (radar.early_fraud_warning)."""

from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin

from apps.backoffice.readonly import ReadOnlyAdminMixin

from .admin import _no_delete
from .models import EarlyFraudWarning


@admin.register(EarlyFraudWarning)
class EarlyFraudWarningAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The issuers' fraud reports (radar.early_fraud_warning): an actionable one is a charge to
    refund before it becomes a dispute."""

    list_display = (
        "public_id",
        "charge",
        "payment_intent",
        "merchant",
        "fraud_type",
        "actionable",
        "created_at",
    )
    list_filter = ("actionable", "fraud_type", "livemode")
    list_select_related = ("charge", "payment_intent", "merchant")
    search_fields = ("=public_id", "=charge__public_id", "=payment_intent__public_id")
    ordering = ("-id",)
    exclude = ("connector",)

    def get_actions(self, request):
        return _no_delete(super().get_actions(request))
