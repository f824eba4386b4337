"""Back office for refunds: the refunds list, the approval queue (approve / reject through the
maker-checker) and cancel, each with a reason, through the services."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.backoffice.actions import ConfirmActionMixin, confirm_action
from apps.backoffice.display import CreatedColumnMixin
from apps.backoffice.errors import ApprovalNotPending
from apps.backoffice.money import money
from apps.backoffice.paging import BigTableAdminMixin, related_pks
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.backoffice.timeline import TimelineEntry, timeline_source
from apps.intents.models import Charge, PaymentIntent

from . import services
from .models import Refund, RefundApprovalQueue


class RefundAdmin(CreatedColumnMixin, ReadOnlyAdminMixin, BigTableAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = ("public_id", "payment_intent", "merchant_name", "amount_display", "status", "reason",
                    "requested_by", "created")  # fmt: skip
    list_filter = ("status", "reason", "livemode")
    list_select_related = ("payment_intent", "merchant")
    search_fields = ("=public_id", "=gateway_reference")
    search_help_text = "Exact refund id, gateway reference, payment id (pi_) or charge id (ch_)."
    sortable_by = ("public_id", "created")
    actions = ["approve_refunds", "reject_refunds", "cancel_refunds"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def related_search(self, term):
        return Q(payment_intent_id__in=related_pks(PaymentIntent.objects.filter(public_id=term), "pk")) | Q(
            charge_id__in=related_pks(Charge.objects.filter(public_id=term), "pk")
        )

    def has_approve_permission(self, request):
        # Deciding goes through the maker-checker, which needs both (see approval_can_decide).
        return request.user.has_perm("refunds.approve_refund") and request.user.has_perm(
            "approvals.decide_approvalrequest"
        )

    def has_cancel_permission(self, request):
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

    def _decide(self, request, refund, data, *, approve: bool):
        """Through the maker-checker (`approval_request_decide`): the requester can never decide
        their own refund, the decider needs the kind's permission, and a double click runs the
        refund once. The refund service runs after the decision commits."""
        approval_id = (
            ApprovalRequest.objects.filter(
                kind="refund",
                target_type="refund",
                target_id=refund.public_id,
                status=ApprovalRequest.Status.PENDING,
            )
            .values_list("public_id", flat=True)
            .first()
        )
        if approval_id is None:
            raise ApprovalNotPending(target="refund", state=refund.status)
        approval_request_decide(
            approval_id=approval_id, approve=approve, user=request.user, reason=data["reason"]
        )

    @confirm_action(
        description="Approve selected refunds (reason required)", permissions=["approve"],
        title="Approved refunds", noun="refund", verb="Approved",
    )  # fmt: skip
    def approve_refunds(self, request, refund, data, actor):
        self._decide(request, refund, data, approve=True)

    @confirm_action(
        description="Reject selected refunds (reason required)", permissions=["approve"],
        title="Rejected refunds", noun="refund", verb="Rejected",
    )  # fmt: skip
    def reject_refunds(self, request, refund, data, actor):
        self._decide(request, refund, data, approve=False)

    @confirm_action(
        description="Cancel selected pending refunds (reason required)", permissions=["cancel"],
        title="Canceled refunds", noun="refund", verb="Canceled",
    )  # fmt: skip
    def cancel_refunds(self, request, refund, data, actor):
        services.refund_cancel(refund_id=refund.pk, actor=actor, reason=data["reason"])


admin.site.register(Refund, RefundAdmin)


@admin.register(RefundApprovalQueue)
class RefundApprovalQueueAdmin(RefundAdmin):
    list_display = ("public_id", "payment_intent", "merchant_name", "amount_display", "reason", "requested_by",
                    "created")  # fmt: skip
    list_filter = ("reason", "livemode")
    actions = ["approve_refunds", "reject_refunds"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Refund.Status.REQUIRES_APPROVAL)


@timeline_source("refunds")
def _refunds(intent):
    """The refunds of the payment, on its workbench timeline."""
    for re in intent.refunds.order_by("id")[:50]:
        tone = {"succeeded": "success", "failed": "danger", "requires_approval": "warning"}.get(
            re.status, "info"
        )
        yield TimelineEntry(
            at=re.created_at, kind="refund", title=f"Refund {re.public_id}: {re.status.replace('_', ' ')}",
            detail=" · ".join(p for p in (re.reason, re.failure_reason) if p), actor=re.requested_by,
            money=money(re.amount, re.currency), tone=tone, url=reverse("admin:refunds_refund_change", args=[re.pk]),
        )  # fmt: skip
