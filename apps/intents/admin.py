"""Back office for payments: search, a detail page with the timeline, and capture / cancel /
refund actions that ask for a reason and go through the services (which write the audit entry)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from apps.audit.models import AuditEntry
from apps.backoffice.actions import ConfirmActionMixin, ReasonForm, confirm_action
from apps.backoffice.money import money
from apps.backoffice.paging import BigTableAdminMixin, fixed_choices_filter, is_last4, related_pks
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.core.currencies import CURRENCIES
from apps.refunds.services import refund_create
from apps.routing.filters import RoutedByFilter

from . import services
from .models import Charge, PaymentIntent

STATUS_COLOURS = {
    "succeeded": "#15803d",
    "requires_capture": "#1d4ed8",
    "requires_action": "#b45309",
    "processing": "#6d28d9",
    "canceled": "#6b7280",
    "failed": "#b91c1c",
    "requires_payment_method": "#b91c1c",
    "requires_confirmation": "#6b7280",
}

CurrencyFilter = fixed_choices_filter("currency", "currency", sorted(CURRENCIES))
PaymentMethodTypeFilter = fixed_choices_filter(
    "payment_method_type",
    "payment method type",
    sorted(services.CARD_LIKE_TYPES | services.REDIRECT_PAYMENT_METHOD_TYPES),
)


class CaptureForm(ReasonForm):
    amount_to_capture = forms.IntegerField(
        required=False, min_value=1, help_text="Minor units; empty captures everything capturable."
    )


class CancelForm(ReasonForm):
    cancellation_reason = forms.ChoiceField(
        choices=[(c, c) for c in ("requested_by_customer", "duplicate", "fraudulent", "abandoned")]
    )


class RefundForm(ReasonForm):
    amount = forms.IntegerField(
        required=False, min_value=1, help_text="Minor units; empty refunds what remains."
    )
    refund_reason = forms.ChoiceField(
        choices=[(c, c) for c in ("requested_by_customer", "duplicate", "fraudulent", "product_return")]
    )


class ChargeInline(TabularInline):
    model = Charge
    fk_name = "payment_intent"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("public_id", "status", "amount", "amount_captured", "amount_refunded", "last4", "gateway_reference",
              "network_code", "decline_code", "cvc_check", "risk_score", "created_at")  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PaymentIntent)
class PaymentIntentAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "amount_display", "status_badge", "capture_method", "order_id",
                    "card_last4", "customer_email", "livemode", "created_at")  # fmt: skip
    list_filter = ("status", "capture_method", "livemode", CurrencyFilter)
    list_select_related = ("merchant", "customer", "latest_charge")
    # Own columns by ExactSearchMixin (pi_ id, order id: both indexed across merchants); charge ids,
    # gateway references, card last4 and customer emails through related_search.
    search_fields = ("=public_id", "=order_id")
    search_help_text = "Exact id (pi_/ch_), order id, customer email, card last4 or gateway reference."
    sortable_by = ("public_id", "created_at")
    list_per_page = 50
    inlines = [ChargeInline]
    fields = (
        "public_id", "merchant", "livemode", "status", "amount_display", "amount_capturable", "amount_received",
        "amount_refunded", "currency", "capture_method", "customer", "payment_method", "payment_method_types",
        "order_id", "description", "statement_descriptor", "metadata", "receipt_email", "return_url",
        "next_action", "last_payment_error", "cancellation_reason", "canceled_at", "succeeded_at", "split",
        "created_at", "updated_at", "timeline",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["capture_payments", "cancel_payments", "refund_payments"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("merchant", "customer", "latest_charge")

    def related_search(self, term):
        from apps.vault.models import Customer

        charges = Q(public_id=term) | Q(gateway_reference=term)
        if is_last4(term):
            charges |= Q(last4=term)
        condition = Q(pk__in=related_pks(Charge.objects.filter(charges), "payment_intent_id"))
        if "@" in term:
            condition |= Q(customer_id__in=related_pks(Customer.objects.filter(email=term), "pk"))
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
        return money(obj.amount, obj.currency)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span style="color:{};font-weight:600">{}</span>',
            STATUS_COLOURS.get(obj.status, "#111"),
            obj.status,
        )

    @admin.display(description="card")
    def card_last4(self, obj):
        return f"•••• {obj.latest_charge.last4}" if obj.latest_charge_id and obj.latest_charge.last4 else "—"

    @admin.display(description="customer")
    def customer_email(self, obj):
        return obj.customer.email if obj.customer_id else (obj.receipt_email or "—")

    @admin.display(description="timeline")
    def timeline(self, obj):
        return render_to_string("admin/intents/timeline.html", {"entries": payment_timeline(obj)})

    @confirm_action(
        description="Capture selected payments (reason required)", permissions=["capture"],
        form_class=CaptureForm, title="Capture payments", noun="payment", verb="Captured",
    )  # fmt: skip
    def capture_payments(self, request, intent, data, actor):
        services.payment_intent_capture(
            intent_id=intent.pk,
            actor=actor,
            amount_to_capture=data.get("amount_to_capture"),
            reason=data["reason"],
        )

    @confirm_action(
        description="Cancel selected payments (reason required)", permissions=["cancel"],
        form_class=CancelForm, title="Cancel payments", noun="payment", verb="Canceled",
    )  # fmt: skip
    def cancel_payments(self, request, intent, data, actor):
        services.payment_intent_cancel(
            intent_id=intent.pk,
            actor=actor,
            cancellation_reason=data["cancellation_reason"],
            reason=data["reason"],
        )

    @confirm_action(
        description="Refund selected payments (reason required)", permissions=["refund"],
        form_class=RefundForm, title="Refund payments", noun="payment", verb="Refunded",
    )  # fmt: skip
    def refund_payments(self, request, intent, data, actor):
        refund = refund_create(
            merchant=intent.merchant, livemode=intent.livemode, actor=actor, payment_intent=intent.public_id,
            amount=data.get("amount"), reason=data["refund_reason"], staff_reason=data["reason"][:500],
        )  # fmt: skip
        if refund.status == refund.Status.REQUIRES_APPROVAL:
            return "Sent to the approval queue the refunds of"
        if refund.status in (refund.Status.FAILED, refund.Status.CANCELED):
            return f"Refund {refund.status} for"
        return None


def payment_timeline(intent: PaymentIntent) -> list[dict]:
    """Attempts, 3DS, captures, refunds and audit entries of one payment, oldest first."""
    entries = []
    charges = list(intent.charges.order_by("id"))
    for ch in charges:
        detail = ch.decline_code or ch.failure_code or ch.gateway_reference
        entries.append({"at": ch.created_at, "kind": "attempt", "title": f"Attempt {ch.public_id}: {ch.status}",
                        "detail": f"{ch.payment_method_type} •••• {ch.last4} · network {ch.network_code or '—'} · "
                                  f"{detail} · cvc {ch.cvc_check or '—'} · risk {ch.risk_score}"})  # fmt: skip
        if ch.three_ds:
            entries.append({"at": ch.authorized_at or ch.failed_at or ch.updated_at, "kind": "3ds",
                            "title": f"3D Secure: {ch.three_ds.get('result')}", "detail": str(ch.three_ds)})  # fmt: skip
        if ch.captured_at:
            title = f"Captured {money(ch.amount_captured, ch.currency)}"
            entries.append({"at": ch.captured_at, "kind": "capture", "title": title, "detail": ch.public_id})
    refunds = list(intent.refunds.order_by("id"))
    for re in refunds:
        entries.append({"at": re.created_at, "kind": "refund", "title": f"Refund {re.public_id}: {re.status}",
                        "detail": f"{money(re.amount, re.currency)} · {re.reason or '—'} "
                                  f"{re.failure_reason or ''}"})  # fmt: skip
    ids = [intent.public_id, *(c.public_id for c in charges), *(r.public_id for r in refunds)]
    for entry in AuditEntry.objects.filter(object_id__in=ids).order_by("id")[:200]:
        entries.append({"at": entry.created_at, "kind": "audit", "title": entry.action,
                        "detail": f"{entry.actor_label} {entry.reason or ''}".strip()})  # fmt: skip
    return sorted(entries, key=lambda e: e["at"])


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdminMixin, BigTableAdminMixin, ModelAdmin):
    list_display = ("public_id", "payment_intent", "merchant", "status", "amount_display", "last4",
                    "gateway_reference", "network_code", "decline_code", "created_at")  # fmt: skip
    list_filter = ("status", PaymentMethodTypeFilter, RoutedByFilter, "captured", "livemode")
    list_select_related = ("payment_intent", "merchant")
    search_fields = ("=public_id", "=gateway_reference", "=last4")
    search_help_text = "Exact charge id, gateway reference or card last4; payment id (pi_) or order id."
    sortable_by = ("public_id", "created_at")

    def related_search(self, term):
        intents = PaymentIntent.objects.filter(Q(public_id=term) | Q(order_id=term))
        return Q(payment_intent_id__in=related_pks(intents, "pk"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)
