from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminTextareaWidget

from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome
from apps.backoffice.display import when
from apps.backoffice.money import money
from apps.backoffice.readonly import ReadOnlyAdminMixin

from . import registry
from .models import ApprovalRequest
from .services import approval_can_decide, approval_request_decide

DECISIONS = ("approve", "reject")


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason for your decision",
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        max_length=2000,
    )
    # Set by the Approve / Reject button pressed.
    decision = forms.CharField(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") not in DECISIONS:
            raise forms.ValidationError("Choose approve or reject.")
        return cleaned


def _decide(model_admin, request, approval, data, actor):
    approval = approval_request_decide(
        approval_id=approval.public_id,
        approve=data["decision"] == "approve",
        user=request.user,
        reason=data["reason"],
    )
    if approval.status == ApprovalRequest.Status.FAILED:
        return Outcome(f"Approved, but the action failed: {approval.error}", messages.ERROR)
    return Outcome(f"{approval.public_id} is now {approval.status}.")


DECIDE = ConfirmAction(
    perform=_decide,
    title="Decide",
    noun="approval request",
    verb="Decided",
    permissions=("decide",),
    form_class=DecisionForm,
    forbidden_is_403=True,
)


class BulkDecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason for your decision",
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept with each request and in the audit log.",
    )


def _bulk(approve: bool):
    def perform(model_admin, request, approval, data, actor):
        return _decide(
            model_admin, request, approval, {**data, "decision": "approve" if approve else "reject"}, actor
        )

    return perform


APPROVE_SELECTED = ConfirmAction(
    perform=_bulk(True), title="Approve the selected requests", noun="approval request", verb="Approved",
    permissions=("decide",), form_class=BulkDecisionForm, submit_label="Approve",
    help="Each request is decided on its own: one you requested yourself, or whose kind your role may not "
    "approve, is refused with its reason while the others go through.",
)  # fmt: skip
REJECT_SELECTED = ConfirmAction(
    perform=_bulk(False), title="Reject the selected requests", noun="approval request", verb="Rejected",
    permissions=("decide",), form_class=BulkDecisionForm, submit_label="Reject",
)  # fmt: skip


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    """The approval queue: pending requests first; deciding goes through a page that asks a reason."""

    # Fits 1440 px without scrolling: the Review link first, the merchant by name, the kind in
    # the target column.
    list_display = (
        "decide_link",
        "public_id",
        "target",
        "money",
        "merchant_name",
        "status",
        "requested",
        "decided_by",
    )
    actions = ["approve_selected", "reject_selected"]
    list_filter = ("status", "kind", "livemode")
    search_fields = ("=public_id", "=target_id", "requested_by_label")
    list_select_related = ("merchant", "decided_by")
    show_full_result_count = False
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ApprovalRequest._meta.fields] + ["money", "target", "decide_link"]
    fields = (
        "public_id",
        "kind",
        "status",
        "merchant",
        "livemode",
        "target",
        "money",
        "reason",
        "payload",
        "requested_by_label",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_reason",
        "executed_at",
        "error",
        "decide_link",
    )

    @admin.display(description="Amount")
    def money(self, obj):
        return format_html('<span class="bo-num">{}</span>', money(obj.amount, obj.currency))

    @admin.display(description="Merchant", ordering="merchant__name")
    def merchant_name(self, obj):
        return obj.merchant.name if obj.merchant_id else "—"

    @admin.display(description="Target")
    def target(self, obj):
        return format_html(
            '{}<div class="text-xs bo-muted">{}</div>', obj.target_id, obj.kind.replace("_", " ")
        )

    @admin.display(description="Decide")
    def decide_link(self, obj):
        if obj.status != ApprovalRequest.Status.PENDING:
            return "—"
        url = reverse("admin:approvals_approvalrequest_decide", args=[obj.pk])
        return format_html('<a class="text-primary-600 underline decide-link" href="{}">Review</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="approvals_approvalrequest_decide",
            ),
            *super().get_urls(),
        ]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.GET.get("status__exact") == ApprovalRequest.Status.PENDING:
            columns.remove("decided_by")  # the pending queue has nobody to show there
        return columns

    @admin.display(description="Requested", ordering="created_at")
    def requested(self, obj):
        return format_html("{}<div>{}</div>", obj.requested_by_label, when(obj.created_at))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Approve selected requests", permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self.confirm_selected_action(request, queryset, APPROVE_SELECTED)

    @admin.action(description="Reject selected requests", permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self.confirm_selected_action(request, queryset, REJECT_SELECTED)

    def has_decide_permission(self, request):
        return request.user.has_perm("approvals.decide_approvalrequest")

    def decide_view(self, request, object_id):
        approval = get_object_or_404(ApprovalRequest.objects.select_related("merchant"), pk=object_id)
        if not self.has_view_permission(request, approval) or not self.has_decide_permission(request):
            raise PermissionDenied
        allowed, why = approval_can_decide(approval, request.user)
        if request.method == "POST" and not allowed:
            raise PermissionDenied(why)
        kind = registry.kinds().get(approval.kind)
        return self.confirm_object_action(
            request,
            approval,
            DECIDE,
            done_url=reverse("admin:approvals_approvalrequest_change", args=[approval.pk]),
            template="admin/approvals/decide.html",
            context={
                "title": f"Decide {approval.public_id}",
                "approval": approval,
                "kind_label": kind.label if kind else approval.kind,
                "money": money(approval.amount, approval.currency),
                "allowed": allowed,
                "why": why,
                "details": kind.describe(approval) if kind and kind.describe else [],
                "history": _history(approval),
            },
        )


def _history(approval) -> list:
    """What happened to the request and its target, oldest first (who, what, why)."""
    from apps.audit.models import AuditEntry

    return list(
        AuditEntry.objects.filter(object_id__in=[approval.public_id, approval.target_id]).order_by("id")[:50]
    )
