"""Back office for customers and payment methods: read-only card facts, never a number.

Nothing here edits card fields; the only write is a soft delete with a reason, through the
services (which write the audit entry and the event).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.urls import path, reverse
from django.utils.http import urlencode
from unfold.admin import ModelAdmin, TabularInline

from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, confirm_action
from apps.backoffice.display import when
from apps.backoffice.headers import HeaderAction, HeaderFact, object_header
from apps.backoffice.readonly import ReadOnlyAdminMixin

from . import services
from .models import Customer, PaymentMethod, VaultRecord

SOFT_DELETE_HELP = (
    "They disappear from the API and can no longer be used to pay. Nothing is erased; the reason is "
    "written to the audit log."
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


class ReadOnlyAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    """Views only: no add, no change, no hard delete (soft delete is an action)."""

    show_full_result_count = False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

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


def _soft_delete_customer(model_admin, request, customer, data, actor):
    if customer.deleted_at is not None:
        return "Skipped {n} already deleted {noun}(s)."
    services.customer_delete(customer=customer, actor=actor, reason=data["reason"])
    return None


SOFT_DELETE_CUSTOMER = ConfirmAction(
    perform=_soft_delete_customer, title="Delete customer (soft delete)", noun="customer", verb="Soft-deleted",
    permissions=("soft_delete",), submit_label="Delete (soft)", help=SOFT_DELETE_HELP,
)  # fmt: skip


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """A customer's page: a header (name and email, status, payment methods; the payments' totals
    and the actions other apps add through apps.backoffice.headers), then the fields."""

    change_form_outer_before_template = "admin/backoffice/object_header.html"
    soft_delete_permission_codename = "vault.delete_customer"  # what the refusal page names
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

    @confirm_action(
        description="Delete selected customers (soft, with a reason)", permissions=["soft_delete"],
        title="Delete customers (soft delete)", noun="customer", verb="Soft-deleted",
        submit_label="Delete (soft)", help=SOFT_DELETE_HELP,
    )  # fmt: skip
    def soft_delete_customers(self, request, customer, data, actor):
        return _soft_delete_customer(self, request, customer, data, actor)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/soft-delete/",
                self.admin_site.admin_view(self.soft_delete_view),
                name="vault_customer_soft_delete",
            ),
            *super().get_urls(),
        ]

    def soft_delete_view(self, request, object_id):
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404
        return self.confirm_object_action(
            request, customer, SOFT_DELETE_CUSTOMER,
            done_url=reverse("admin:vault_customer_change", args=[customer.pk]),
            context={"title": f"Delete {customer.public_id}"},
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if customer is not None:
            extra.update({"title": customer.public_id, "subtitle": None,
                          "object_header": self.header(request, customer)})  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def header(self, request, customer) -> dict:
        methods = list(
            customer.payment_methods.filter(deleted_at__isnull=True)
            .order_by("-is_default", "-id")
            .values_list("type", "card_brand", "card_last4", "bank_last4")[:4]
        )
        shown = [
            f"{brand or kind} •••• {card or bank}" if (card or bank) else (brand or kind)
            for kind, brand, card, bank in methods[:3]
        ]
        more = " …" if len(methods) > 3 else ""
        deleted = customer.deleted_at is not None
        actions = []
        if not deleted and self.has_soft_delete_permission(request):
            actions.append(HeaderAction("soft-delete", "Delete (soft)",
                                        reverse("admin:vault_customer_soft_delete", args=[customer.pk]), "delete"))  # fmt: skip
        return object_header(
            request, customer, label=f"Customer {customer.public_id}",
            headline=customer.name or customer.email or customer.public_id,
            status="deleted" if deleted else "active", tone="danger" if deleted else "success",
            facts=[
                HeaderFact("Email", customer.email or "—"),
                HeaderFact("Merchant", customer.merchant.name,
                           reverse("admin:merchants_merchant_change", args=[customer.merchant_id])),
                HeaderFact("Mode", "live" if customer.livemode else "test"),
                HeaderFact("Payment methods", (", ".join(shown) + more) or "none",
                           reverse("admin:vault_paymentmethod_changelist") + "?" + urlencode({"q": customer.public_id})),
                HeaderFact("Customer since", when(customer.created_at)),
                *([HeaderFact("Deleted", f"{customer.deleted_reason or ''}")] if deleted else []),
            ],
            actions=actions,
        )  # fmt: skip


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id", "type", "card_brand", "masked_number", "expiry", "card_funding", "card_country", "customer",
        "merchant", "verification_status", "is_default", "deleted_at",
    )  # fmt: skip
    list_filter = (DeletedFilter, "type", "card_brand", "card_funding", "verification_status", "livemode")
    list_select_related = ("merchant", "customer")
    search_fields = (
        "=public_id", "=card_last4", "=bank_last4", "=fingerprint", "=customer__public_id", "customer__email",
        "customer__name",
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

    @confirm_action(
        description="Delete selected payment methods (soft, with a reason)", permissions=["soft_delete"],
        title="Delete payment methods (soft delete)", noun="payment method", verb="Soft-deleted",
        submit_label="Delete (soft)", help=SOFT_DELETE_HELP,
    )  # fmt: skip
    def soft_delete_payment_methods(self, request, payment_method, data, actor):
        if payment_method.deleted_at is not None:
            return "Skipped {n} already deleted {noun}(s)."
        services.payment_method_delete(payment_method=payment_method, actor=actor, reason=data["reason"])
        return None


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
