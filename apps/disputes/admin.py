"""The dispute workbench: a queue sorted by `due_by` (countdown, absolute time, "due in 24 h"
badges, filters), and a dispute page with the payment and customer at a glance, the evidence form
(Stripe's fields grouped by what wins for the reason, prefilled from what Clearhouse knows, file
upload), "Save draft" and "Submit" (with a confirm step), accept through the maker-checker, and a
timeline. Every write goes through apps.disputes.services with the staff member as the actor (the
services audit it); who may do what is apps/core/roles.py."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from unfold.admin import ModelAdmin

from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor, audit_record
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome
from apps.backoffice.headers import HeaderFact, header_part
from apps.backoffice.money import money
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.backoffice.timeline import TimelineEntry, WorkbenchButton, timeline_source, workbench_button
from apps.core.currencies import CURRENCIES
from apps.core.errors import ApplicationError
from apps.files.models import File
from apps.files.responses import file_response
from apps.files.services import file_create
from apps.intents.models import Charge, PaymentIntent

from . import selectors, services
from .deadlines import NETWORK_WINDOWS
from .evidence_groups import evidence_groups
from .models import EVIDENCE_FILE_FIELDS, EVIDENCE_TEXT_FIELDS, Dispute, DisputeSettings
from .transitions import AWAITING_RESPONSE

LONG_TEXT = {"access_activity_log", "cancellation_policy_disclosure", "cancellation_rebuttal",
             "duplicate_charge_explanation", "product_description", "refund_policy_disclosure",
             "refund_refusal_explanation", "uncategorized_text", "billing_address", "shipping_address"}  # fmt: skip
DUE_WINDOWS = {"24h": dt.timedelta(hours=24), "72h": dt.timedelta(hours=72), "7d": dt.timedelta(days=7)}


def countdown(due_by: dt.datetime | None, now: dt.datetime) -> str:
    if due_by is None:
        return "—"
    left = due_by - now
    if left <= dt.timedelta(0):
        return "overdue"
    days, rest = divmod(int(left.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class DueWithinFilter(admin.SimpleListFilter):
    title = "due within"
    parameter_name = "due_within"

    def lookups(self, request, model_admin):
        return [("24h", "24 hours"), ("72h", "72 hours"), ("7d", "7 days")]

    def queryset(self, request, queryset):
        window = DUE_WINDOWS.get(self.value() or "")
        if window is None:
            return queryset
        return queryset.filter(
            status__in=AWAITING_RESPONSE, past_due=False, due_by__lte=timezone.now() + window
        )


class NetworkFilter(admin.SimpleListFilter):
    title = "card brand"
    parameter_name = "network"

    def lookups(self, request, model_admin):
        return [(name, name.capitalize()) for name in (*NETWORK_WINDOWS, "jcb", "unionpay")]

    def queryset(self, request, queryset):
        return queryset.filter(network=self.value()) if self.value() else queryset


class EvidenceForm(forms.Form):
    """Stripe's evidence fields for one dispute, in the groups of its reason; empty text fields
    start with what Clearhouse knows (prefill). A file field takes an upload (PDF, JPEG, PNG)."""

    def __init__(self, *args, dispute: Dispute, prefill: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.dispute = dispute
        current = dispute.evidence or {}
        prefill = prefill or {}
        self.groups = []
        for title, names in evidence_groups(dispute.reason):
            for name in names:
                if name in EVIDENCE_FILE_FIELDS:
                    self.fields[name] = forms.FileField(required=False, label=_label(name),
                                                        help_text=f"Current: {current[name]}" if current.get(name) else "PDF, JPEG or PNG")  # fmt: skip
                else:
                    widget = forms.Textarea(attrs={"rows": 3}) if name in LONG_TEXT else forms.TextInput()
                    self.fields[name] = forms.CharField(required=False, label=_label(name), widget=widget,
                                                        initial=current.get(name) or prefill.get(name, ""))  # fmt: skip
            self.groups.append((title, names))

    def grouped(self):
        return [(title, [self[name] for name in names]) for title, names in self.groups]

    def changed_evidence(self, actor: Actor) -> dict:
        """The fields whose value differs from the staged evidence; uploads are stored first (each
        one checked and audited by apps.files) and staged by their file id."""
        current = self.dispute.evidence or {}
        changed = {}
        for name in EVIDENCE_TEXT_FIELDS:
            value = self.cleaned_data.get(name) or ""
            if value != (current.get(name) or ""):
                changed[name] = value
        for name in EVIDENCE_FILE_FIELDS:
            upload = self.cleaned_data.get(name)
            if upload:
                try:
                    stored = file_create(
                        merchant=self.dispute.merchant, livemode=self.dispute.livemode, upload=upload,
                        purpose=File.Purpose.DISPUTE_EVIDENCE, actor=actor,
                    )  # fmt: skip
                except ApplicationError as exc:
                    self.add_error(name, exc.message)
                    raise forms.ValidationError(exc.message) from exc
                changed[name] = stored.public_id
        return changed


def _submit(model_admin, request, dispute, data, actor):
    services.dispute_update(dispute_id=dispute.pk, actor=actor, submit=True, reason=data["reason"])
    return Outcome(f"{dispute.public_id}: evidence submitted; the submission is used.")


def _request_accept(model_admin, request, dispute, data, actor):
    approval = services.dispute_request_accept(dispute_id=dispute.pk, actor=actor, reason=data["reason"])
    return Outcome(
        f"{dispute.public_id}: accepting waits for a finance approver (request {approval.public_id})."
    )


ACTIONS = {
    "submit": ConfirmAction(
        perform=_submit, title="Submit evidence", noun="dispute", verb="Submitted the evidence of",
        permissions=("submit",), submit_label="Submit evidence",
        help="A dispute has one submission: after this, its evidence can no longer be changed.",
    ),
    "accept": ConfirmAction(
        perform=_request_accept, title="Accept dispute", noun="dispute", verb="Asked to accept",
        permissions=("draft",), submit_label="Request acceptance",
        help="Accepting loses the dispute for good (the funds stay withdrawn). A finance approver decides.",
    ),
}  # fmt: skip


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "amount_display", "status", "reason", "network", "due_display",
                    "submission_display")  # fmt: skip
    list_filter = ("status", "reason", NetworkFilter, DueWithinFilter, "merchant", "case_type", "livemode")
    list_select_related = ("charge", "merchant")
    ordering = ("due_by",)
    search_fields = ("=public_id", "=connector_dispute_id")
    search_help_text = "Exact dispute id, connector dispute id, charge id (ch_) or payment id (pi_)."
    sortable_by = ("public_id", "created_at", "due_by")
    workbench_template = "admin/disputes/workbench.html"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("due_by", "id")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(
            Q(public_id=term) | Q(connector_dispute_id=term)
            | Q(charge_id__in=Charge.objects.filter(public_id=term).values("pk")[:1])
            | Q(payment_intent_id__in=PaymentIntent.objects.filter(public_id=term).values("pk")[:1])
        ), False  # fmt: skip

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- permissions (apps/core/roles.py) ---------------------------------------------------------

    def has_draft_permission(self, request):
        return request.user.has_perm("disputes.change_dispute")

    def has_submit_permission(self, request):
        return request.user.has_perm("disputes.submit_dispute")

    # --- the queue ---------------------------------------------------------------------------------

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description="due", ordering="due_by")
    def due_display(self, obj):
        if obj.due_by is None:
            return "—"
        now = timezone.now()
        open_ = obj.status in AWAITING_RESPONSE and not obj.past_due
        badge = ""
        if open_ and obj.due_by - now <= dt.timedelta(hours=24):
            badge = mark_safe(
                '<span class="due-badge bg-red-600 text-white rounded-default px-2 mr-1">due in 24 h</span>'
            )
        return format_html(
            '{}<span class="countdown">{}</span><br><small class="text-base-500">{} UTC</small>',
            badge, countdown(obj.due_by, now) if open_ else "—", f"{obj.due_by:%Y-%m-%d %H:%M}",
        )  # fmt: skip

    @admin.display(description="submission")
    def submission_display(self, obj):
        return "used" if obj.submission_count else "available"

    # --- the dispute page --------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("<int:object_id>/act/<str:action>/", self.admin_site.admin_view(self.act_view),
                 name="disputes_dispute_act"),
            path("<int:object_id>/file/<str:file_id>/", self.admin_site.admin_view(self.file_view),
                 name="disputes_dispute_file"),
            *super().get_urls(),
        ]  # fmt: skip

    def _dispute(self, request, object_id) -> Dispute:
        dispute = get_object_or_404(
            Dispute.objects.select_related("merchant", "connector", "payment_intent__customer",
                                           "charge__payment_method"), pk=object_id,
        )  # fmt: skip
        if not self.has_view_permission(request, dispute):
            raise PermissionDenied
        return dispute

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise Http404
        dispute = self._dispute(request, object_id)
        can_draft = self.has_draft_permission(request)
        awaiting = (
            dispute.status in AWAITING_RESPONSE and not dispute.submission_count and not dispute.past_due
        )
        prefill = selectors.dispute_prefill(dispute)
        if request.method == "POST":
            if not (can_draft and awaiting):
                raise PermissionDenied
            form = EvidenceForm(request.POST, request.FILES, dispute=dispute, prefill=prefill)
            if form.is_valid():
                actor = Actor.staff(request.user)
                try:
                    changed = form.changed_evidence(actor)
                    if changed:
                        services.dispute_update(dispute_id=dispute.pk, actor=actor, evidence=changed, submit=False,
                                                reason="Evidence draft saved in the back office")  # fmt: skip
                except forms.ValidationError:
                    pass
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    if "_submit" in request.POST:
                        return HttpResponseRedirect(
                            reverse("admin:disputes_dispute_act", args=[dispute.pk, "submit"])
                        )
                    saved = f"draft saved ({', '.join(sorted(changed))})" if changed else "nothing changed"
                    self.message_user(request, f"{dispute.public_id}: {saved}.", messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
        else:
            form = EvidenceForm(dispute=dispute, prefill=prefill)
        return TemplateResponse(
            request, self.workbench_template, self._page(request, dispute, form, awaiting)
        )

    def _page(self, request, dispute: Dispute, form: EvidenceForm, awaiting: bool) -> dict:
        now = timezone.now()
        intent, charge = dispute.payment_intent, dispute.charge
        customer = intent.customer if intent.customer_id else None
        timeline = selectors.dispute_timeline(dispute)
        for entry in timeline:
            if "amount" in entry:
                entry["detail"] = f"{money(entry['amount'], entry['currency'])} · {entry['detail']}"
        files = {
            name: dispute.evidence[name]
            for name in EVIDENCE_FILE_FIELDS
            if (dispute.evidence or {}).get(name)
        }
        pending_accept = ApprovalRequest.objects.filter(
            kind="dispute_accept", target_type="dispute", target_id=dispute.public_id,
            status=ApprovalRequest.Status.PENDING,
        ).first()  # fmt: skip
        return {
            **self.admin_site.each_context(request),
            "title": f"Dispute {dispute.public_id}",
            "opts": self.model._meta,
            "dispute": dispute,
            "amount": money(dispute.amount, dispute.currency),
            "payment_amount": money(charge.amount_captured or charge.amount, charge.currency),
            "payment_url": reverse("admin:intents_paymentintent_change", args=[intent.pk]),
            "intent": intent,
            "charge": charge,
            "card": (charge.payment_method_details or {}).get("card") or {},
            "customer": customer,
            "due_utc": f"{dispute.due_by:%Y-%m-%d %H:%M} UTC" if dispute.due_by else "—",
            "countdown": countdown(dispute.due_by, now) if awaiting else "",
            "due_soon": awaiting
            and dispute.due_by is not None
            and dispute.due_by - now <= dt.timedelta(hours=24),
            "awaiting": awaiting,
            "form": form,
            "groups": form.grouped(),
            "can_draft": self.has_draft_permission(request),
            "can_submit": self.has_submit_permission(request),
            "evidence_rows": [(_label(k), v) for k, v in sorted((dispute.evidence or {}).items()) if v],
            "files": [
                (name, file_id, reverse("admin:disputes_dispute_file", args=[dispute.pk, file_id]))
                for name, file_id in files.items()
            ],
            "timeline": timeline,
            "pending_accept": pending_accept,
            "accept_url": reverse("admin:disputes_dispute_act", args=[dispute.pk, "accept"]),
            "submit_url": reverse("admin:disputes_dispute_act", args=[dispute.pk, "submit"]),
        }

    def act_view(self, request, object_id, action):
        if action not in ACTIONS:
            raise PermissionDenied
        dispute = self._dispute(request, object_id)
        spec = ACTIONS[action]
        summary = [("Merchant", str(dispute.merchant)), ("Amount", money(dispute.amount, dispute.currency)),
                   ("Status", dispute.status), ("Reason", dispute.reason),
                   ("Evidence fields", ", ".join(sorted(k for k, v in (dispute.evidence or {}).items() if v)) or "none")]  # fmt: skip
        return self.confirm_object_action(
            request, dispute, spec, done_url=reverse("admin:disputes_dispute_change", args=[dispute.pk]),
            context={"title": f"{spec.title} {dispute.public_id}", "summary": summary},
        )  # fmt: skip

    def file_view(self, request, object_id, file_id):
        """An evidence file of this dispute (only one its evidence names, of the same merchant)."""
        dispute = self._dispute(request, object_id)
        if file_id not in {(dispute.evidence or {}).get(name) for name in EVIDENCE_FILE_FIELDS}:
            raise Http404
        file = get_object_or_404(
            File, public_id=file_id, merchant=dispute.merchant, livemode=dispute.livemode
        )
        audit_record(actor=Actor.staff(request.user), action="file.downloaded", merchant=dispute.merchant, obj=file,
                     after={"dispute": dispute.public_id, "sha256": file.sha256})  # fmt: skip
        return file_response(file)


class DisputeSettingsForm(forms.ModelForm):
    class Meta:
        model = DisputeSettings
        fields = ("merchant", "fees", "fee_refunded_on_win")
        help_texts = {"fees": 'Minor units per settlement currency, e.g. {"USD": 1500} for 15.00 USD.'}

    def clean_fees(self):
        fees = self.cleaned_data.get("fees") or {}
        if not isinstance(fees, dict):
            raise forms.ValidationError("Fees are an object of currency codes and amounts in minor units.")
        clean = {}
        for currency, amount in fees.items():
            code = str(currency).upper()
            if code not in CURRENCIES:
                raise forms.ValidationError(f"Unknown currency: {str(currency)[:8]!r}.")
            if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= 1_000_000:
                raise forms.ValidationError(
                    f"The {code} fee must be a whole number of minor units (0 to 1,000,000)."
                )
            clean[code] = amount
        return clean


@admin.register(DisputeSettings)
class DisputeSettingsAdmin(ModelAdmin):
    """A merchant's dispute fee policy; every change is audited."""

    form = DisputeSettingsForm
    list_display = ("merchant", "fees", "fee_refunded_on_win", "updated_at")
    search_fields = ("merchant__name", "=merchant__public_id")
    list_select_related = ("merchant",)

    def save_model(self, request, obj, form, change):
        before = {name: form.initial.get(name) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        audit_record(actor=Actor.staff(request.user), action="dispute_settings.changed", merchant=obj.merchant,
                     object_type="disputes.disputesettings", object_id=str(obj.merchant.public_id), before=before,
                     after={name: form.cleaned_data.get(name) for name in form.changed_data})  # fmt: skip


# --- the payment workbench (apps.backoffice.timeline) --------------------------------------------


@timeline_source("disputes")
def _disputes_timeline(intent):
    for d in intent.disputes.order_by("id")[:20]:
        due = (
            f" · respond by {d.due_by:%Y-%m-%d %H:%M} UTC"
            if d.due_by and d.status in AWAITING_RESPONSE
            else ""
        )
        tone = {"won": "success", "lost": "danger"}.get(d.status, "warning")
        yield TimelineEntry(
            at=d.created_at, kind="dispute", title=f"Dispute {d.public_id}: {d.status.replace('_', ' ')}",
            detail=f"{d.reason.replace('_', ' ')}{due}", money=money(d.amount, d.currency), tone=tone,
            url=reverse("admin:disputes_dispute_change", args=[d.pk]),
        )  # fmt: skip


@workbench_button("dispute")
def _dispute_button(request, intent):
    dispute = intent.disputes.filter(status__in=AWAITING_RESPONSE).only("pk").first()
    if dispute is not None and request.user.has_perm("disputes.view_dispute"):
        return WorkbenchButton(
            label="Respond to dispute", url=reverse("admin:disputes_dispute_change", args=[dispute.pk])
        )
    return None


@header_part("merchants.merchant", "disputes")
def _merchant_disputes(request, merchant):
    waiting = Dispute.objects.filter(merchant=merchant, status__in=AWAITING_RESPONSE).values("pk")[:1000]
    n = len(waiting)
    url = reverse("admin:disputes_dispute_changelist") + f"?merchant__id__exact={merchant.pk}"
    yield HeaderFact("Disputes awaiting a response", f"{n}{'+' if n == 1000 else ''}", url)
