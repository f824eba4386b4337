"""The finance payouts queue: filter by status/approval, cancel or mark failed with a reason
(audited, through the services), approve/reject when the approvals app is not handling it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from unfold.admin import ModelAdmin

from apps.audit.history import ConfigHistoryMixin
from apps.audit.services import Actor
from apps.core.errors import ApplicationError
from apps.reporting.formatting import format_money

from . import services
from .models import BankAccount, Payout, PayoutSchedule


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, max_length=500)


FAILURE_CODES = [
    ("could_not_process", "could_not_process"),
    ("account_closed", "account_closed"),
    ("no_account", "no_account"),
    ("invalid_account_number", "invalid_account_number"),
    ("declined", "declined"),
]


class FailForm(ReasonForm):
    failure_code = forms.ChoiceField(choices=FAILURE_CODES)


ACTIONS = {
    # name: (label, permission, form, allowed statuses)
    "cancel": ("Cancel payout", "payouts.change_payout", ReasonForm),
    "fail": ("Mark payout failed", "payouts.change_payout", FailForm),
    "approve": ("Approve payout", "payouts.approve_payout", ReasonForm),
    "reject": ("Reject payout", "payouts.approve_payout", ReasonForm),
}


@admin.register(Payout)
class PayoutAdmin(ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "amount_display",
        "status",
        "approval",
        "automatic",
        "arrival_date",
        "created_at",
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
        return format_money(obj.amount, obj.currency)

    def _available(self, obj) -> list[str]:
        names = []
        if obj.status == Payout.Status.PENDING and obj.submission == Payout.Submission.NOT_SENT:
            names.append("cancel")
        if obj.status in (Payout.Status.PENDING, Payout.Status.IN_TRANSIT) and obj.submission != "submitting":
            names.append("fail")
        if obj.approval == Payout.Approval.REQUIRED and not obj.approval_request_id:
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
            [(reverse("admin:payouts_payout_act", args=[obj.pk, name]), ACTIONS[name][0]) for name in names],
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="payouts_payout_act",
            ),
            *super().get_urls(),
        ]

    def act_view(self, request, object_id, action):
        payout = get_object_or_404(Payout.objects.select_related("merchant", "destination"), pk=object_id)
        if action not in ACTIONS:
            raise PermissionDenied
        label, permission, form_class = ACTIONS[action]
        if not request.user.has_perm(permission):
            raise PermissionDenied
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            actor = Actor.staff(request.user)
            reason = form.cleaned_data["reason"]
            try:
                if action == "cancel":
                    services.payout_cancel(payout=payout, actor=actor, reason=reason)
                elif action == "fail":
                    services.payout_mark_failed(
                        payout=payout,
                        actor=actor,
                        reason=reason,
                        failure_code=form.cleaned_data["failure_code"],
                    )
                elif action == "approve":
                    services.payout_approve(
                        payout_id=payout.public_id, actor=actor, user=request.user, reason=reason
                    )
                else:
                    services.payout_reject(
                        payout_id=payout.public_id, actor=actor, user=request.user, reason=reason
                    )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{label}: done for {payout.public_id}.")
                return HttpResponseRedirect(reverse("admin:payouts_payout_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label} {payout.public_id}",
            "opts": self.model._meta,
            "form": form,
            "summary": [
                ("Merchant", str(payout.merchant)),
                ("Amount", format_money(payout.amount, payout.currency)),
                ("Status", f"{payout.status} (approval {payout.approval})"),
                ("Destination", str(payout.destination)),
            ],
            "submit_label": label,
        }
        return TemplateResponse(request, "admin/ledger/form_page.html", context)


@admin.register(BankAccount)
class BankAccountAdmin(ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
