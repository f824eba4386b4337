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
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, confirm_action
from apps.backoffice.display import CreatedColumnMixin
from apps.backoffice.errors import ApprovalNotPending
from apps.backoffice.money import MoneyDisplayMixin, money
from apps.backoffice.paging import BigTableAdminMixin, related_pks
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.backoffice.timeline import TimelineEntry, timeline_source
from apps.intents.models import Charge, PaymentIntent

from . import services
from .models import Refund, RefundApprovalQueue


class RefundAdmin(
    MoneyDisplayMixin,
    CreatedColumnMixin,
    ReadOnlyAdminMixin,
    BigTableAdminMixin,
    ConfirmActionMixin,
    ModelAdmin,
):
    money_fields = ("amount",)
    list_display = ("public_id", "payment_intent", "merchant_name", "amount_display", "status", "reason",
                    "requested_by", "created")  # fmt: skip
    list_filter = ("status", "reason", "livemode")
    list_select_related = ("payment_intent", "merchant")
    search_fields = ("=public_id", "=gateway_reference")
    search_help_text = "Exact refund id, gateway reference, payment id (pi_) or charge id (ch_)."
    sortable_by = ("public_id", "created")
    actions = ["approve_refunds", "reject_refunds", "cancel_refunds"]
    change_form_outer_before_template = "admin/backoffice/object_header.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def related_search(self, term):
        return Q(payment_intent_id__in=related_pks(PaymentIntent.objects.filter(public_id=term), "pk")) | Q(
            charge_id__in=related_pks(Charge.objects.filter(public_id=term), "pk")
        )

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="refunds_refund_cancel",
            ),
            *super().get_urls(),
        ]

    def cancel_view(self, request, object_id):
        from django.http import Http404

        refund = self.get_object(request, object_id)
        if refund is None:
            raise Http404
        return self.confirm_object_action(
            request, refund, CANCEL, done_url=reverse("admin:refunds_refund_change", args=[refund.pk]),
            context={"title": f"Cancel {refund.public_id}"},
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        refund = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if refund is not None:
            extra.update(
                {"title": refund.public_id, "subtitle": None, "object_header": self._header(request, refund)}
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _header(self, request, refund) -> dict:
        intent = refund.payment_intent
        actions = []
        approval = (
            ApprovalRequest.objects.filter(
                target_type="refund", target_id=refund.public_id, status=ApprovalRequest.Status.PENDING
            )
            .values_list("pk", flat=True)
            .first()
        )
        if approval and request.user.has_perm("approvals.decide_approvalrequest"):
            actions.append({"name": "review", "label": "Review approval", "icon": "rule",
                            "url": reverse("admin:approvals_approvalrequest_decide", args=[approval])})  # fmt: skip
        if self.has_cancel_permission(request) and refund.status in (
            Refund.Status.REQUIRES_APPROVAL, Refund.Status.PENDING
        ):  # fmt: skip
            actions.append({"name": "cancel", "label": "Cancel refund", "icon": "block",
                            "url": reverse("admin:refunds_refund_cancel", args=[refund.pk])})  # fmt: skip
        tone = {"succeeded": "success", "failed": "danger", "requires_approval": "warning"}.get(
            refund.status, "info"
        )
        return {
            "label": f"Refund {refund.public_id}",
            "amount": money(refund.amount, refund.currency),
            "status": refund.status.replace("_", " "),
            "tone": tone,
            "actions": actions,
            "facts": [
                ("Original payment", f"{intent.public_id} · {money(intent.amount, intent.currency)}",
                 reverse("admin:intents_paymentintent_change", args=[intent.pk])),
                ("Order id", intent.order_id or "—", ""),
                ("Merchant", refund.merchant.name, ""),
                ("Reason", refund.reason or "—", ""),
                ("Requested by", refund.requested_by or "—", ""),
                ("Failure", refund.failure_reason or "—", ""),
            ],
        }  # fmt: skip

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
        self._cancel(refund, data, actor)

    def _cancel(self, refund, data, actor):
        services.refund_cancel(refund_id=refund.pk, actor=actor, reason=data["reason"])


CANCEL = ConfirmAction(
    perform=lambda model_admin, request, refund, data, actor: model_admin._cancel(refund, data, actor),
    title="Cancel refund", noun="refund", verb="Canceled", permissions=("cancel",),
    help="Only a refund that has not reached the customer (waiting for approval, not yet sent) can be canceled.",
)  # fmt: skip


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
