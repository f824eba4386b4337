"""Back office for disputes: a read-only list and detail (the workbench — evidence form, timeline,
accept through the maker-checker — is still to come)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from unfold.admin import ModelAdmin

from apps.backoffice.money import money
from apps.backoffice.paging import BigTableAdminMixin, related_pks
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.intents.models import Charge, PaymentIntent

from .models import Dispute


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ModelAdmin):
    list_display = ("public_id", "charge", "merchant", "amount_display", "status", "reason", "due_by",
                    "past_due", "created_at")  # fmt: skip
    list_filter = ("status", "reason", "case_type", "past_due", "livemode")
    list_select_related = ("charge", "merchant")
    search_fields = ("=public_id", "=connector_dispute_id")
    search_help_text = "Exact dispute id, connector dispute id, charge id (ch_) or payment id (pi_)."
    sortable_by = ("public_id", "created_at", "due_by")

    def get_readonly_fields(self, request, obj=None):
        return ["amount_display", *[f.name for f in self.model._meta.fields]]

    def related_search(self, term):
        return Q(charge_id__in=related_pks(Charge.objects.filter(public_id=term), "pk")) | Q(
            payment_intent_id__in=related_pks(PaymentIntent.objects.filter(public_id=term), "pk")
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)
