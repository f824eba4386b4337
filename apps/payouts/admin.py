"""The finance payouts queue: filter by status/approval, cancel or mark failed with a reason, and
approve / reject payouts above the threshold through their maker-checker request (audited, through
the services)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.history import ConfigHistoryMixin
from apps.audit.services import Actor
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome, ReasonForm
from apps.backoffice.display import CreatedColumnMixin
from apps.backoffice.errors import ApprovalNotPending
from apps.backoffice.money import money
from apps.backoffice.readonly import ReadOnlyAdminMixin

from . import services
from .models import BankAccount, Payout, PayoutSchedule

FAILURE_CODES = [
    ("could_not_process", "could_not_process"),
    ("account_closed", "account_closed"),
    ("no_account", "no_account"),
    ("invalid_account_number", "invalid_account_number"),
    ("declined", "declined"),
]


class FailForm(ReasonForm):
    failure_code = forms.ChoiceField(choices=FAILURE_CODES)


def _cancel(model_admin, request, payout, data, actor):
    services.payout_cancel(payout=payout, actor=actor, reason=data["reason"])


def _fail(model_admin, request, payout, data, actor):
    services.payout_mark_failed(
        payout=payout, actor=actor, reason=data["reason"], failure_code=data["failure_code"]
    )


def _decider(approve: bool):
    def decide(model_admin, request, payout, data, actor):
        """The payout's maker-checker request is decided (never the payout directly), so the request
        and the payout cannot disagree; the approvals executor releases or rejects the payout."""
        pending = ApprovalRequest.objects.filter(
            public_id=payout.approval_request_id, status=ApprovalRequest.Status.PENDING
        ).exists()
        if not payout.approval_request_id or not pending:
            raise ApprovalNotPending(target="payout", state=f"{payout.status} (approval {payout.approval})")
        approval = approval_request_decide(
            approval_id=payout.approval_request_id, approve=approve, user=request.user, reason=data["reason"]
        )
        return Outcome(f"{payout.public_id}: approval request {approval.public_id} is now {approval.status}.")

    return decide


def _spec(name: str, label: str, perform, form_class=ReasonForm) -> ConfirmAction:
    return ConfirmAction(
        perform=perform,
        title=label,
        noun="payout",
        verb=f"{label}: done for",
        permissions=(name,),
        form_class=form_class,
        submit_label=label,
    )


ACTIONS = {
    "cancel": _spec("cancel", "Cancel payout", _cancel),
    "fail": _spec("fail", "Mark payout failed", _fail, FailForm),
    "approve": _spec("approve", "Approve payout", _decider(approve=True)),
    "reject": _spec("reject", "Reject payout", _decider(approve=False)),
}


@admin.register(Payout)
class PayoutAdmin(CreatedColumnMixin, ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = (
        "public_id",
        "merchant_name",
        "amount_display",
        "status",
        "approval",
        "automatic",
        "arrival_date",
        "created",
        "actions_links",
    )
    list_filter = ("status", "approval", "livemode", "currency", "automatic", "created_at")
    search_fields = ("=public_id", "=merchant__public_id", "merchant__name", "=bank_reference")
    list_select_related = ("merchant", "destination")
    show_full_result_count = False
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Payout._meta.fields] + ["actions_links"]

    @admin.display(description="Amount")
    def amount_display(self, obj):
        return format_html('<span class="bo-num">{}</span>', money(obj.amount, obj.currency))

    @admin.display(description="merchant", ordering="merchant__name")
    def merchant_name(self, obj):
        return obj.merchant.name

    def _available(self, obj) -> list[str]:
        names = []
        if obj.status == Payout.Status.PENDING and obj.submission == Payout.Submission.NOT_SENT:
            names.append("cancel")
        if obj.status in (Payout.Status.PENDING, Payout.Status.IN_TRANSIT) and obj.submission != "submitting":
            names.append("fail")
        if obj.approval == Payout.Approval.REQUIRED and obj.approval_request_id:
            names += ["approve", "reject"]
        return names

    @admin.display(description="Actions")
    def actions_links(self, obj):
        names = self._available(obj)
        if not names:
            return "—"
        return format_html_join(
            " · ",
            '<a class="text-primary-600 underline" href="{}">{}</a>',
            [
                (reverse("admin:payouts_payout_act", args=[obj.pk, name]), ACTIONS[name].title)
                for name in names
            ],
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="payouts_payout_act",
            ),
            *super().get_urls(),
        ]

    def has_cancel_permission(self, request):
        return request.user.has_perm("payouts.change_payout")

    def has_fail_permission(self, request):
        return request.user.has_perm("payouts.change_payout")

    def has_approve_permission(self, request):
        return request.user.has_perm("payouts.approve_payout")

    def has_reject_permission(self, request):
        return request.user.has_perm("payouts.approve_payout")

    def act_view(self, request, object_id, action):
        if action not in ACTIONS:
            raise PermissionDenied
        spec = ACTIONS[action]
        payout = get_object_or_404(Payout.objects.select_related("merchant", "destination"), pk=object_id)
        summary = [
            ("Merchant", str(payout.merchant)),
            ("Amount", money(payout.amount, payout.currency)),
            ("Status", f"{payout.status} (approval {payout.approval})"),
            ("Destination", str(payout.destination)),
        ]
        return self.confirm_object_action(
            request, payout, spec, context={"title": f"{spec.title} {payout.public_id}", "summary": summary}
        )


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "kind",
        "country",
        "currency",
        "last4",
        "default_for_currency",
        "status",
    )
    list_filter = ("kind", "currency", "status", "livemode")
    search_fields = ("=public_id", "=merchant__public_id", "merchant__name", "=last4")
    list_select_related = ("merchant",)
    # Never the ciphertext, not even in the admin.
    fields = (
        "public_id",
        "merchant",
        "livemode",
        "kind",
        "country",
        "currency",
        "account_holder_name",
        "account_holder_type",
        "routing_number",
        "last4",
        "fingerprint",
        "default_for_currency",
        "status",
        "created_at",
    )
    readonly_fields = fields


@admin.register(PayoutSchedule)
class PayoutScheduleAdmin(ConfigHistoryMixin, ModelAdmin):
    list_display = (
        "merchant",
        "livemode",
        "interval",
        "weekly_anchor",
        "monthly_anchor",
        "minimum_amount",
        "last_run_on",
    )
    list_filter = ("interval", "livemode")
    search_fields = ("merchant__name", "=merchant__public_id")
    list_select_related = ("merchant",)
    readonly_fields = ("merchant", "livemode", "last_run_on")

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        services.payout_schedule_update(
            merchant=obj.merchant,
            livemode=obj.livemode,
            changes={
                name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
            },
            actor=Actor.staff(request.user),
        )
