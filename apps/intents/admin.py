"""Back office for payments: search, a detail page with the timeline, and capture / cancel /
refund actions that ask for a reason and go through the services (which write the audit entry)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.db.models import Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import DropdownFilter

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.core.currencies import CURRENCIES
from apps.core.errors import ApplicationError
from apps.reporting.paging import (
    CURSOR_PARAM,
    EstimatedCountPaginator,
    ExactSearchMixin,
    KeysetChangeList,
    KeysetChangeListMixin,
)

from . import services
from .models import Charge, PaymentIntent


def money(amount: int | None, currency: str) -> str:
    if amount is None:
        return "—"
    exponent = CURRENCIES[currency].exponent if currency in CURRENCIES else 2
    if exponent == 0:
        return f"{amount:,} {currency}"
    major, minor = divmod(abs(amount), 10**exponent)
    return f"{'-' if amount < 0 else ''}{major:,}.{minor:0{exponent}d} {currency}"


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


# ---------------------------------------------------------------------------------------------
# Big tables (payments, charges, refunds): nothing on the changelist may scan the whole table.
# No date_hierarchy (SELECT DISTINCT date_trunc(...) over every row), list filters with fixed
# choices (no SELECT DISTINCT), the planner's row estimate instead of COUNT(*), ?after=<pk> keyset
# pages, exact case-sensitive search on indexed columns only; identifiers that live on a related
# table are resolved first by their own index into a short list of primary keys.
# ---------------------------------------------------------------------------------------------

RELATED_MATCHES_CAP = 1000


def related_pks(queryset, column: str) -> list[int]:
    """The newest RELATED_MATCHES_CAP values of `column` in `queryset` (an index-backed lookup)."""
    return list(queryset.order_by("-pk").values_list(column, flat=True)[:RELATED_MATCHES_CAP])


def is_last4(term: str) -> bool:
    return len(term) == 4 and term.isdigit()


class BigTableChangeList(KeysetChangeList):
    @property
    def keyset_next_url(self) -> str:
        if self.keyset_next is None:
            return ""
        return self.get_query_string({CURSOR_PARAM: self.keyset_next}, remove=[PAGE_VAR])


class BigTableAdminMixin(ExactSearchMixin, KeysetChangeListMixin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_filter_submit = True
    change_list_template = "admin/keyset_change_list.html"

    def get_changelist(self, request, **kwargs):
        return BigTableChangeList

    def related_search(self, term: str) -> Q | None:
        """Matches through other tables, as `pk__in=[…]` / `fk__in=[…]` conditions on this table."""
        return None

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = (search_term or "").strip()
        extra = self.related_search(term) if term else None
        if extra is not None:
            found = found | queryset.filter(extra)
        return found, may_have_duplicates


def fixed_choices_filter(field: str, title: str, choices):
    """A dropdown list filter whose choices are fixed (no SELECT DISTINCT over the table)."""

    class FixedChoicesFilter(DropdownFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return [(value, value) for value in choices]

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    FixedChoicesFilter.title = title
    FixedChoicesFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return FixedChoicesFilter


CurrencyFilter = fixed_choices_filter("currency", "currency", sorted(CURRENCIES))
PaymentMethodTypeFilter = fixed_choices_filter(
    "payment_method_type",
    "payment method type",
    sorted(services.CARD_LIKE_TYPES | services.REDIRECT_PAYMENT_METHOD_TYPES),
)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, min_length=3, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Kept in the audit log.")  # fmt: skip


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


class ActionMixin:
    """delete_selected-style actions: a confirm page with a form (reason…), then the service."""

    def _run_action(self, request, queryset, *, form_class, title, verb, perform):
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = Actor.staff(request.user)
            done = 0
            for obj in queryset:
                try:
                    perform(obj, actor, form.cleaned_data)
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{obj.public_id}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, f"{verb} {done} payment(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "objects": list(queryset[:50]),
            "form": form,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "verb": verb,
        }
        return TemplateResponse(request, "admin/intents/action_form.html", context)


@admin.register(PaymentIntent)
class PaymentIntentAdmin(BigTableAdminMixin, ActionMixin, ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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

    @admin.action(description="Capture selected payments (reason required)", permissions=["capture"])
    def capture_payments(self, request, queryset):
        return self._run_action(
            request, queryset, form_class=CaptureForm, title="Capture payments", verb="Captured",
            perform=lambda obj, actor, data: services.payment_intent_capture(
                intent_id=obj.pk, actor=actor, amount_to_capture=data.get("amount_to_capture"), reason=data["reason"]
            ),
        )  # fmt: skip

    @admin.action(description="Cancel selected payments (reason required)", permissions=["cancel"])
    def cancel_payments(self, request, queryset):
        return self._run_action(
            request, queryset, form_class=CancelForm, title="Cancel payments", verb="Canceled",
            perform=lambda obj, actor, data: services.payment_intent_cancel(
                intent_id=obj.pk, actor=actor, cancellation_reason=data["cancellation_reason"], reason=data["reason"]
            ),
        )  # fmt: skip

    @admin.action(description="Refund selected payments (reason required)", permissions=["refund"])
    def refund_payments(self, request, queryset):
        from apps.refunds.services import refund_create

        def perform(obj, actor, data):
            refund_create(
                merchant=obj.merchant, livemode=obj.livemode, actor=actor, payment_intent=obj.public_id,
                amount=data.get("amount"), reason=data["refund_reason"],
                staff_reason=data["reason"][:500],
            )  # fmt: skip

        return self._run_action(
            request,
            queryset,
            form_class=RefundForm,
            title="Refund payments",
            verb="Refunded",
            perform=perform,
        )


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
class ChargeAdmin(BigTableAdminMixin, ModelAdmin):
    list_display = ("public_id", "payment_intent", "merchant", "status", "amount_display", "last4",
                    "gateway_reference", "network_code", "decline_code", "created_at")  # fmt: skip
    list_filter = ("status", PaymentMethodTypeFilter, "captured", "livemode")
    list_select_related = ("payment_intent", "merchant")
    search_fields = ("=public_id", "=gateway_reference", "=last4")
    search_help_text = "Exact charge id, gateway reference or card last4; payment id (pi_) or order id."
    sortable_by = ("public_id", "created_at")

    def related_search(self, term):
        intents = PaymentIntent.objects.filter(Q(public_id=term) | Q(order_id=term))
        return Q(payment_intent_id__in=related_pks(intents, "pk"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)
