"""The finance payouts queue: filter by status/approval, cancel or mark failed with a reason, and
approve / reject payouts above the threshold through their maker-checker request (audited, through
the services)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.history import ConfigHistoryMixin
from apps.audit.services import Actor
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome, ReasonForm
from apps.backoffice.display import CreatedColumnMixin
from apps.backoffice.errors import ApprovalNotPending
from apps.backoffice.headers import HeaderFact, header_part
from apps.backoffice.money import MoneyDisplayMixin, MoneyField, money, to_minor
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.core.currencies import CURRENCIES

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
class PayoutAdmin(MoneyDisplayMixin, CreatedColumnMixin, ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    money_fields = ("amount",)
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
    readonly_fields = [f.name for f in Payout._meta.fields if f.name != "id"] + ["actions_links"]
    change_form_outer_before_template = "admin/backoffice/object_header.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payout = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if payout is not None:
            extra.update(
                {"title": payout.public_id, "subtitle": None, "object_header": self.header(request, payout)}
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def header(self, request, payout) -> dict:
        """The payout's amount, status and approval, where it goes, and its actions for this role."""
        icons = {"cancel": "block", "fail": "error", "approve": "check", "reject": "close"}
        actions = [
            {"name": name, "label": ACTIONS[name].title, "icon": icons[name],
             "url": reverse("admin:payouts_payout_act", args=[payout.pk, name])}
            for name in self._available(payout) if getattr(self, f"has_{name}_permission")(request)
        ]  # fmt: skip
        tone = {"paid": "success", "failed": "danger", "canceled": ""}.get(payout.status, "info")
        approval = payout.approval.replace("_", " ")
        return {
            "label": f"Payout {payout.public_id}",
            "amount": money(payout.amount, payout.currency),
            "status": payout.status.replace("_", " "),
            "tone": "warning" if payout.approval == Payout.Approval.REQUIRED else tone,
            "actions": actions,
            "facts": [
                ("Merchant", payout.merchant.name, reverse("admin:merchants_merchant_change", args=[payout.merchant_id])),
                ("Destination", str(payout.destination), ""),
                ("Approval", f"{approval} ({payout.approval_request_id})" if payout.approval_request_id else approval, ""),
                ("Automatic", "yes (schedule)" if payout.automatic else "no", ""),
                ("Arrival date", str(payout.arrival_date or "—"), ""),
                ("Bank reference", payout.bank_reference or "—", ""),
                ("Failure", f"{payout.failure_code}: {payout.failure_message}" if payout.failure_code else "—", ""),
            ],
        }  # fmt: skip

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


def schedule_currencies(schedule: PayoutSchedule) -> list[str]:
    """The currencies a schedule's form offers a minimum for: those of the merchant's bank accounts
    (what a sweep can pay out) and those that already have one."""
    banked = BankAccount.objects.filter(merchant_id=schedule.merchant_id, livemode=schedule.livemode).exclude(
        status=BankAccount.Status.DELETED
    )
    codes = {c.upper() for c in banked.values_list("currency", flat=True).distinct()}
    return sorted(codes | set(schedule.minimum_amounts or {}))


def minimums_text(schedule: PayoutSchedule) -> str:
    """ "50.00 USD · 500 JPY", and the legacy single minimum where one is set (raw, labelled)."""
    parts = [money(amount, code) for code, amount in sorted((schedule.minimum_amounts or {}).items())]
    if schedule.minimum_amount:
        parts.append(f"other currencies: {schedule.minimum_amount} minor units (legacy API value)")
    return " · ".join(parts) or "none"


class PayoutScheduleForm(forms.ModelForm):
    """Interval and anchors as the model has them; one minimum per currency, typed in major units
    of that currency (`minimum_<CUR>` fields, added per schedule by PayoutScheduleAdmin.get_form),
    and a currency not yet listed with its minimum."""

    weekly_anchor = forms.ChoiceField(
        choices=[(day, day.capitalize()) for day in PayoutSchedule.WEEKDAYS], widget=UnfoldAdminSelectWidget,
        help_text="The day of a weekly payout.",
    )  # fmt: skip
    add_currency = forms.ChoiceField(
        required=False, label="Add a minimum for another currency", widget=UnfoldAdminSelectWidget,
        choices=[("", "—")] + [(code, code) for code in sorted(CURRENCIES)],
    )  # fmt: skip
    add_minimum = forms.DecimalField(
        required=False, min_value=0, label="Its minimum, in that currency",
        help_text="As written on a receipt (e.g. 50.00 for USD, 500 for JPY, 5.000 for KWD).",
        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    clear_legacy_minimum = forms.BooleanField(
        required=False, label="Drop the legacy single minimum",
        help_text="The first API's minimum_amount, one number of minor units applied to every currency "
        "without its own minimum.",
    )  # fmt: skip

    class Meta:
        model = PayoutSchedule
        fields = ("interval", "weekly_anchor", "monthly_anchor")

    def clean(self):
        data = super().clean()
        code, major = data.get("add_currency"), data.get("add_minimum")
        if code and major is None:
            self.add_error("add_minimum", f"Enter the minimum in {code}.")
        elif major is not None and not code:
            self.add_error("add_currency", "Choose the currency of this minimum.")
        elif code:
            try:
                data["add_minimum_minor"] = to_minor(major, code)
            except forms.ValidationError as exc:
                self.add_error("add_minimum", exc)
        return data

    def minimum_changes(self) -> dict:
        """{currency: minor units} of the minimums this form changed (an emptied field: 0). When
        the legacy minimum is dropped, every currency shown keeps what it showed (its own value,
        which may have been the legacy one) so no currency's minimum changes unseen."""
        changes = {}
        every = bool(self.cleaned_data.get("clear_legacy_minimum"))
        for name in self.fields if every else self.changed_data:
            if name.startswith("minimum_"):
                value = self.cleaned_data.get(name)
                changes[name.removeprefix("minimum_")] = value if value is not None else 0
        if self.cleaned_data.get("add_minimum_minor") is not None:
            changes[self.cleaned_data["add_currency"]] = self.cleaned_data["add_minimum_minor"]
        return changes


@admin.register(PayoutSchedule)
class PayoutScheduleAdmin(ConfigHistoryMixin, ModelAdmin):
    """A merchant's payout schedule; each currency's minimum typed in that currency's major units
    and stored in its minor units (apps.backoffice.money)."""

    form = PayoutScheduleForm
    list_display = ("merchant", "livemode", "interval", "weekly_anchor", "monthly_anchor", "minimums",
                    "last_run_on")  # fmt: skip
    list_filter = ("interval", "livemode")
    search_fields = ("merchant__name", "=merchant__public_id")
    list_select_related = ("merchant",)
    readonly_fields = ("merchant", "livemode", "last_run_on", "minimums")

    @admin.display(description="Minimum payout")
    def minimums(self, obj):
        return minimums_text(obj)

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        schedule = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if schedule is not None:
            mode = "live" if schedule.livemode else "test"
            extra.update({"title": f"Payout schedule of {schedule.merchant.name} ({mode})", "subtitle": None})
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _currencies(self, obj) -> list[str]:
        return schedule_currencies(obj) if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        minimums = [f"minimum_{code}" for code in self._currencies(obj)]
        extra = ["add_currency", "add_minimum"]
        if obj is not None and obj.minimum_amount:
            extra.append("clear_legacy_minimum")
        return (
            (None, {"fields": ("merchant", "livemode", "interval", "weekly_anchor", "monthly_anchor", "last_run_on")}),
            ("Minimum payout per currency", {"fields": ("minimums", *minimums, *extra),
             "description": "A currency's available balance is paid out only once it reaches its minimum."}),
        )  # fmt: skip

    def get_form(self, request, obj=None, change=False, **kwargs):
        fields = {}
        for code in self._currencies(obj):
            fields[f"minimum_{code}"] = MoneyField(
                currency=code, required=False, allow_zero=True, label=f"Minimum in {code}",
                initial=obj.minimum_for(code),
            )  # fmt: skip
        kwargs["form"] = type("PayoutScheduleFormFor", (self.form,), fields)
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.Meta.fields}
        minimums = form.minimum_changes()
        if minimums:
            changes["minimum_amounts"] = minimums
        if form.cleaned_data.get("clear_legacy_minimum"):
            changes["minimum_amount"] = 0
        services.payout_schedule_update(
            merchant=obj.merchant, livemode=obj.livemode, changes=changes, actor=Actor.staff(request.user)
        )


@header_part("merchants.merchant", "payouts")
def _merchant_payouts(request, merchant):
    """Payouts on their way (pending or in transit, and how many wait for approval), the last one,
    and the schedule with its minimums."""
    open_ = list(
        Payout.objects.filter(
            merchant=merchant, status__in=[Payout.Status.PENDING, Payout.Status.IN_TRANSIT]
        ).values_list("approval", flat=True)[:1000]
    )
    waiting = sum(1 for a in open_ if a == Payout.Approval.REQUIRED)
    url = reverse("admin:payouts_payout_changelist") + "?" + urlencode({"q": merchant.public_id})
    yield HeaderFact("Payouts on their way", f"{len(open_)} ({waiting} awaiting approval)", url)
    last = Payout.objects.filter(merchant=merchant).order_by("-id").first()
    if last is not None:
        yield HeaderFact("Last payout", f"{last.public_id} · {money(last.amount, last.currency)} · {last.status}",
                         reverse("admin:payouts_payout_change", args=[last.pk]))  # fmt: skip
    schedule = PayoutSchedule.objects.filter(merchant=merchant, livemode=False).first()
    if schedule is not None:
        yield HeaderFact("Payout schedule (test)", f"{schedule.interval}, minimum {minimums_text(schedule)}",
                         reverse("admin:payouts_payoutschedule_change", args=[schedule.pk]))  # fmt: skip
