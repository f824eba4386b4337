"""Back office for customers and payment methods: read-only card facts, never a number.

Nothing here edits card fields; the only write is a soft delete with a reason, through the
services (which write the audit entry and the event).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from unfold.admin import ModelAdmin, TabularInline

from apps.audit.services import Actor
from apps.core.errors import ApplicationError

from . import services
from .models import Customer, PaymentMethod, VaultRecord


class SoftDeleteForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        min_length=3,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit log.",
    )


class DeletedFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("no", "Active"), ("yes", "Deleted"))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class ReadOnlyAdmin(ModelAdmin):
    """Views only: no add, no change, no hard delete (soft delete is an action)."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _soft_delete(self, request, queryset, *, label: str, perform):
        """Confirm page with a reason (like delete_selected), then act through the service."""
        form = SoftDeleteForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = Actor.staff(request.user)
            done, failed = 0, 0
            for obj in queryset.filter(deleted_at__isnull=True):
                try:
                    perform(obj, actor, form.cleaned_data["reason"])
                    done += 1
                except ApplicationError as exc:
                    failed += 1
                    self.message_user(request, f"{obj.public_id}: {exc.message}", messages.ERROR)
            self.message_user(request, f"Soft-deleted {done} {label}(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Delete {label}s (soft delete)",
            "objects": list(queryset[:100]),
            "count": queryset.count(),
            "form": form,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/vault/soft_delete_confirmation.html", context)

    def has_soft_delete_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.delete_{self.opts.model_name}")


class PaymentMethodInline(TabularInline):
    model = PaymentMethod
    fk_name = "customer"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "public_id",
        "type",
        "card_brand",
        "card_last4",
        "card_exp_month",
        "card_exp_year",
        "is_default",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "email", "name", "merchant", "livemode", "created_at", "deleted_at")
    list_filter = (DeletedFilter, "livemode")
    list_select_related = ("merchant",)
    search_fields = (
        "=public_id",
        "email",
        "name",
        "=payment_methods__card_last4",
        "=payment_methods__fingerprint",
    )
    date_hierarchy = "created_at"
    fields = (
        "public_id", "merchant", "livemode", "email", "name", "phone", "description", "address", "metadata",
        "created_at", "updated_at", "deleted_at", "deleted_reason",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [PaymentMethodInline]
    actions = ["soft_delete_customers"]

    @admin.action(description="Delete selected customers (soft, with a reason)", permissions=["soft_delete"])
    def soft_delete_customers(self, request, queryset):
        return self._soft_delete(
            request,
            queryset,
            label="customer",
            perform=lambda obj, actor, reason: services.customer_delete(
                customer=obj, actor=actor, reason=reason
            ),
        )


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id", "type", "card_brand", "masked_number", "expiry", "card_funding", "card_country", "customer",
        "merchant", "verification_status", "is_default", "deleted_at",
    )  # fmt: skip
    list_filter = (DeletedFilter, "type", "card_brand", "card_funding", "verification_status", "livemode")
    list_select_related = ("merchant", "customer")
    search_fields = (
        "=public_id", "=card_last4", "=bank_last4", "=fingerprint", "customer__email", "customer__name",
        "billing_details__email", "billing_details__name",
    )  # fmt: skip
    date_hierarchy = "created_at"
    # Card facts only: the number lives encrypted in the vault and is never rendered here.
    fields = (
        "public_id", "merchant", "livemode", "type", "customer", "is_default", "nickname",
        "card_brand", "card_last4", "card_exp_month", "card_exp_year", "card_funding", "card_country",
        "bank_last4", "bank_country", "bank_code", "bank_routing_number", "bank_account_type",
        "bank_account_holder_type", "wallet_payer_email", "fingerprint", "vault_reference",
        "allow_redisplay", "consent_collected_at", "verification_status", "verified_at", "verification_detail",
        "billing_details", "metadata", "created_at", "updated_at", "deleted_at", "deleted_reason",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["soft_delete_payment_methods"]

    @admin.display(description="number")
    def masked_number(self, obj: PaymentMethod) -> str:
        last4 = obj.card_last4 or obj.bank_last4
        return f"•••• {last4}" if last4 else "—"

    @admin.display(description="expiry")
    def expiry(self, obj: PaymentMethod) -> str:
        if obj.card_exp_month and obj.card_exp_year:
            return f"{obj.card_exp_month:02d}/{obj.card_exp_year}"
        return "—"

    @admin.display(description="vault record")
    def vault_reference(self, obj: PaymentMethod) -> str:
        if obj.vault_record_id is None:
            return "—"
        record = obj.vault_record
        return f"{record.public_id} (key {record.kek_version})"

    @admin.action(
        description="Delete selected payment methods (soft, with a reason)", permissions=["soft_delete"]
    )
    def soft_delete_payment_methods(self, request, queryset):
        return self._soft_delete(
            request,
            queryset,
            label="payment method",
            perform=lambda obj, actor, reason: services.payment_method_delete(
                payment_method=obj, actor=actor, reason=reason
            ),
        )


@admin.register(VaultRecord)
class VaultRecordAdmin(ReadOnlyAdmin):
    """Key-rotation progress: which key version wraps each record. Never the blob."""

    list_display = ("public_id", "kind", "kek_version", "merchant", "livemode", "created_at", "rotated_at")
    list_filter = ("kek_version", "kind", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id",)
    fields = ("public_id", "merchant", "livemode", "kind", "kek_version", "created_at", "rotated_at")
    readonly_fields = fields

    def get_actions(self, request):
        return {}
