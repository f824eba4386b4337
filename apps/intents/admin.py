"""Back office for payments: search, the payment workbench (`admin_workbench`: a header with the
actions, a timeline) and capture / cancel / refund actions that ask for a reason and go through
the services (which write the audit entry)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from apps.backoffice.actions import ConfirmActionMixin
from apps.backoffice.display import CreatedColumnMixin
from apps.backoffice.money import MoneyDisplayMixin, money
from apps.backoffice.paging import BigTableAdminMixin, fixed_choices_filter, is_last4, related_pks
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.core.currencies import CURRENCIES
from apps.routing.filters import RoutedByFilter

from . import services
from .admin_workbench import (  # noqa: F401 (re-exported: tests and other pages name them here)
    CANCEL,
    CAPTURE,
    REFUND,
    STATUS_TONES,
    WORKBENCH_ACTIONS,
    CancelForm,
    CaptureForm,
    RefundForm,
    WorkbenchMixin,
    refund_outcome,
    refundable,
    routing_summary,
)
from .models import Charge, PaymentIntent
from .selectors import charges_by_gateway_reference

CurrencyFilter = fixed_choices_filter("currency", "currency", sorted(CURRENCIES))
PaymentMethodTypeFilter = fixed_choices_filter(
    "payment_method_type",
    "payment method type",
    sorted(services.CARD_LIKE_TYPES | services.REDIRECT_PAYMENT_METHOD_TYPES),
)


class ChargeInline(TabularInline):
    model = Charge
    fk_name = "payment_intent"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("public_id", "status", "amount_display", "captured_display", "refunded_display", "last4",
              "gateway_reference", "network_code", "decline_code", "cvc_check", "risk_score", "created_at")  # fmt: skip
    readonly_fields = fields

    @admin.display(description="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description="captured")
    def captured_display(self, obj):
        return money(obj.amount_captured, obj.currency)

    @admin.display(description="refunded")
    def refunded_display(self, obj):
        return money(obj.amount_refunded, obj.currency)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PaymentIntent)
class PaymentIntentAdmin(
    WorkbenchMixin, CreatedColumnMixin, ReadOnlyAdminMixin, BigTableAdminMixin, ConfirmActionMixin, ModelAdmin
):
    """The payment workbench: a header (amount, status, customer, payment method, merchant, order
    id) with the actions the viewer's role allows in the payment's state, each opening its form on
    the page; then the timeline (apps.backoffice.timeline), the refunds and the raw API object."""

    list_display = ("public_id", "merchant_name", "amount_display", "status_badge", "order_id",
                    "card_last4", "customer_email", "livemode", "created")  # fmt: skip
    list_filter = ("status", "capture_method", "livemode", CurrencyFilter)
    list_select_related = ("merchant", "customer", "latest_charge")
    # Own columns by ExactSearchMixin (pi_ id, order id: both indexed across merchants); charge ids,
    # gateway references, card last4 and customer emails through related_search.
    search_fields = ("=public_id", "=order_id")
    search_help_text = (
        "Exact id (pi_/ch_/cus_/acct_), order id, customer email, card last4 or gateway reference."
    )
    sortable_by = ("public_id", "created")
    list_per_page = 50
    inlines = [ChargeInline]
    change_form_outer_before_template = "admin/intents/workbench_header.html"
    fieldsets = (
        ("Amounts", {"fields": (("amount_display", "capturable_display"), ("received_display", "refunded_display"),
                                ("currency", "capture_method"))}),
        ("Details", {"fields": (("merchant", "livemode"), ("customer", "payment_method"), "payment_method_types",
                                ("order_id", "description"), "statement_descriptor", "metadata", "receipt_email",
                                "return_url", "next_action", "last_payment_error",
                                ("cancellation_reason", "canceled_at"), "succeeded_at", "split",
                                ("created_at", "updated_at"))}),
    )  # fmt: skip
    readonly_fields = (
        "public_id", "merchant", "livemode", "status", "amount_display", "capturable_display", "received_display",
        "refunded_display", "currency", "capture_method", "customer", "payment_method", "payment_method_types",
        "order_id", "description", "statement_descriptor", "metadata", "receipt_email", "return_url",
        "next_action", "last_payment_error", "cancellation_reason", "canceled_at", "succeeded_at", "split",
        "created_at", "updated_at",
    )  # fmt: skip
    actions = ["capture_payments", "cancel_payments", "refund_payments"]
    refund_permission_codename = "refunds.add_refund"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("merchant", "customer", "latest_charge")

    def related_search(self, term):
        from apps.vault.models import Customer

        # the gateway reference through its side table (selectors.charges_by_gateway_reference)
        charges = Q(public_id=term) | Q(pk__in=related_pks(charges_by_gateway_reference(term), "pk"))
        if is_last4(term):
            charges |= Q(last4=term)
        condition = Q(pk__in=related_pks(Charge.objects.filter(charges), "payment_intent_id"))
        if "@" in term:
            condition |= Q(customer_id__in=related_pks(Customer.objects.filter(email=term), "pk"))
        if term.startswith("cus_"):  # a customer page's "Paid" link
            condition |= Q(customer_id__in=related_pks(Customer.objects.filter(public_id=term), "pk"))
        if term.startswith("acct_"):  # a merchant page's "Payments" link
            from apps.merchants.models import Merchant

            condition |= Q(merchant_id__in=related_pks(Merchant.objects.filter(public_id=term), "pk"))
        return condition

    def has_capture_permission(self, request):
        return request.user.has_perm("intents.capture_paymentintent")

    def has_cancel_permission(self, request):
        return request.user.has_perm("intents.cancel_paymentintent")

    def has_refund_permission(self, request):
        return request.user.has_perm("refunds.add_refund")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return format_html('<span class="bo-num">{}</span>', money(obj.amount, obj.currency))

    @admin.display(description="merchant")
    def merchant_name(self, obj):
        return obj.merchant.name

    @admin.display(description="capturable")
    def capturable_display(self, obj):
        return money(obj.amount_capturable, obj.currency)

    @admin.display(description="received")
    def received_display(self, obj):
        return money(obj.amount_received, obj.currency)

    @admin.display(description="refunded")
    def refunded_display(self, obj):
        return money(obj.amount_refunded, obj.currency)

    @display(description="status", ordering="status", label=STATUS_TONES)
    def status_badge(self, obj):
        return obj.status

    @admin.display(description="card")
    def card_last4(self, obj):
        return f"•••• {obj.latest_charge.last4}" if obj.latest_charge_id and obj.latest_charge.last4 else "—"

    @admin.display(description="customer")
    def customer_email(self, obj):
        return obj.customer.email if obj.customer_id else (obj.receipt_email or "—")

    def capture_payments(self, request, queryset):
        return self.confirm_selected_action(request, queryset, CAPTURE)

    capture_payments = admin.action(description="Capture selected payments", permissions=["capture"])(
        capture_payments
    )

    def cancel_payments(self, request, queryset):
        return self.confirm_selected_action(request, queryset, CANCEL)

    cancel_payments = admin.action(description="Cancel selected payments", permissions=["cancel"])(
        cancel_payments
    )

    def refund_payments(self, request, queryset):
        return self.confirm_selected_action(request, queryset, REFUND)

    refund_payments = admin.action(description="Refund selected payments", permissions=["refund"])(
        refund_payments
    )


@admin.register(Charge)
class ChargeAdmin(MoneyDisplayMixin, CreatedColumnMixin, ReadOnlyAdminMixin, BigTableAdminMixin, ModelAdmin):
    money_fields = (
        "amount",
        "amount_authorized",
        "amount_captured",
        "amount_refunded",
        "pending_operation_amount",
        "application_fee_amount",
    )
    list_display = ("public_id", "payment_intent", "merchant", "status", "amount_display", "last4",
                    "gateway_reference", "network_code", "decline_code", "created")  # fmt: skip
    list_filter = ("status", PaymentMethodTypeFilter, RoutedByFilter, "captured", "livemode")
    list_select_related = ("payment_intent", "merchant")
    search_fields = ("=public_id", "=gateway_reference", "=last4")
    search_help_text = "Exact charge id, gateway reference or card last4; payment id (pi_) or order id."
    sortable_by = ("public_id", "created")

    def related_search(self, term):
        intents = PaymentIntent.objects.filter(Q(public_id=term) | Q(order_id=term))
        return Q(payment_intent_id__in=related_pks(intents, "pk"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)
