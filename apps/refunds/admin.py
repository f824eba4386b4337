from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.template.response import TemplateResponse
from unfold.admin import ModelAdmin

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.services import Actor
from apps.core.errors import ApplicationError, StateConflictError
from apps.intents.admin import BigTableAdminMixin, money, related_pks
from apps.intents.models import Charge, PaymentIntent

from . import services
from .models import Refund, RefundApprovalQueue


class DecisionForm(forms.Form):
    reason = forms.CharField(max_length=500, min_length=3, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Kept in the audit log.")  # fmt: skip


class RefundAdmin(BigTableAdminMixin, ModelAdmin):
    list_display = ("public_id", "payment_intent", "merchant", "amount_display", "status", "reason",
                    "requested_by", "created_at")  # fmt: skip
    list_filter = ("status", "reason", "livemode")
    list_select_related = ("payment_intent", "merchant")
    search_fields = ("=public_id", "=gateway_reference")
    search_help_text = "Exact refund id, gateway reference, payment id (pi_) or charge id (ch_)."
    sortable_by = ("public_id", "created_at")
    actions = ["approve_refunds", "reject_refunds", "cancel_refunds"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def related_search(self, term):
        return Q(payment_intent_id__in=related_pks(PaymentIntent.objects.filter(public_id=term), "pk")) | Q(
            charge_id__in=related_pks(Charge.objects.filter(public_id=term), "pk")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
        return money(obj.amount, obj.currency)

    def _decide(self, request, queryset, *, verb, perform):
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = Actor.staff(request.user)
            done = 0
            for refund in queryset:
                try:
                    perform(refund, actor, form.cleaned_data["reason"])
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{refund.public_id}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, f"{verb} {done} refund(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verb} refunds",
            "objects": list(queryset[:50]),
            "form": form,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "verb": verb,
        }
        return TemplateResponse(request, "admin/intents/action_form.html", context)

    def _decide_through_approval(self, request, approve: bool):
        """Approve/reject via the maker-checker (`approval_request_decide`): the requester can never
        decide their own refund, the decider needs the kind's permission, and a double click runs
        the refund once. The refund service runs after the decision commits."""

        def perform(refund, actor, reason):
            approval = (
                ApprovalRequest.objects.filter(
                    kind="refund",
                    target_type="refund",
                    target_id=refund.public_id,
                    status=ApprovalRequest.Status.PENDING,
                )
                .values_list("public_id", flat=True)
                .first()
            )
            if approval is None:
                raise StateConflictError(
                    f"This refund has a status of {refund.status} and no pending approval request.",
                    code="approval_not_pending",
                )
            approval_request_decide(approval_id=approval, approve=approve, user=request.user, reason=reason)

        return perform

    @admin.action(description="Approve selected refunds (reason required)", permissions=["approve"])
    def approve_refunds(self, request, queryset):
        return self._decide(
            request, queryset, verb="Approved", perform=self._decide_through_approval(request, approve=True)
        )

    @admin.action(description="Reject selected refunds (reason required)", permissions=["approve"])
    def reject_refunds(self, request, queryset):
        return self._decide(
            request, queryset, verb="Rejected", perform=self._decide_through_approval(request, approve=False)
        )

    @admin.action(description="Cancel selected pending refunds (reason required)", permissions=["cancel"])
    def cancel_refunds(self, request, queryset):
        return self._decide(
            request, queryset, verb="Canceled",
            perform=lambda r, actor, reason: services.refund_cancel(refund_id=r.pk, actor=actor, reason=reason),
        )  # fmt: skip


admin.site.register(Refund, RefundAdmin)


@admin.register(RefundApprovalQueue)
class RefundApprovalQueueAdmin(RefundAdmin):
    list_display = ("public_id", "payment_intent", "merchant", "amount_display", "reason", "requested_by",
                    "created_at")  # fmt: skip
    list_filter = ("reason", "livemode")
    actions = ["approve_refunds", "reject_refunds"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Refund.Status.REQUIRES_APPROVAL)
