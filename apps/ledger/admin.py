"""Back office for the ledger: balances per merchant and currency, the journal browser, fee
schedules, exchange rates (entry and CSV import) and manual adjustment requests (second approver).
Journal entries and postings are read-only for everybody."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import TextFilter

from apps.audit.history import ConfigHistoryMixin
from apps.audit.services import Actor, audit_record
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome
from apps.backoffice.headers import HeaderAction, HeaderFact, header_part
from apps.backoffice.money import MoneyField, money
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.backoffice.timeline import TimelineEntry, timeline_source
from apps.core.currencies import CURRENCIES
from apps.core.errors import ApplicationError
from apps.core.limits import BIGINT_MAX, ascii_int
from apps.merchants.models import Merchant

from .accounts import with_balance
from .models import (
    Account,
    BalanceTransaction,
    CaptureRecord,
    ExchangeRate,
    FeeSchedule,
    JournalEntry,
    Posting,
)
from .services import (
    exchange_rate_save,
    exchange_rates_import_csv,
    fee_schedule_save,
    ledger_adjustment_request,
)


class AdjustmentForm(forms.Form):
    """The amount is typed in major units of the chosen currency (12.50 USD, 500 JPY, 1.250 KWD);
    negative debits the merchant. `?merchant=acct_…&currency=EUR&livemode=1` pre-fills it (the
    Balances list links each merchant account here)."""

    merchant = forms.ModelChoiceField(queryset=Merchant.objects.all())
    livemode = forms.BooleanField(required=False, label="Live mode")
    currency = forms.ChoiceField(choices=[(c, c) for c in sorted(CURRENCIES)], initial="USD")
    amount = MoneyField(allow_negative=True, label="Amount")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)

    def __init__(self, *args, initial_from=None, **kwargs):
        super().__init__(*args, **kwargs)
        query = initial_from or {}
        merchant = Merchant.objects.filter(public_id=query.get("merchant", "")).first() if query else None
        if merchant is not None:
            self.initial["merchant"] = merchant.pk
        if query.get("currency", "").upper() in CURRENCIES:
            self.initial["currency"] = query["currency"].upper()
        if query.get("livemode") == "1":
            self.initial["livemode"] = True
        currency = self.data.get(self.add_prefix("currency")) or self.initial.get("currency") or "USD"
        self.fields["amount"].set_currency(
            currency if currency.upper() in CURRENCIES else "USD",
            note="Positive credits the merchant's available balance, negative debits it.",
        )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if abs(amount) > BIGINT_MAX:
            raise forms.ValidationError("That amount is too large.")
        return amount


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    """Balances: one row per account (merchant pending/available/reserve per currency, platform
    accounts), balance = snapshot + newer postings."""

    list_display = ("owner_label", "kind", "currency", "livemode", "balance_display", "entries_link")
    list_before_template = "admin/ledger/account_list_before.html"
    list_filter = ("owner", "kind", "currency", "livemode")
    search_fields = ("merchant__name", "=merchant__public_id", "connector_code", "beneficiary_id")
    list_select_related = ("merchant",)
    show_full_result_count = False
    readonly_fields = (
        "key",
        "owner",
        "kind",
        "merchant",
        "livemode",
        "currency",
        "connector_code",
        "beneficiary_type",
        "beneficiary_id",
        "created_at",
    )

    def get_queryset(self, request):
        return with_balance(super().get_queryset(request))

    @admin.display(description="Owner")
    def owner_label(self, obj):
        if obj.owner == Account.Owner.MERCHANT:
            return str(obj.merchant)
        return f"{obj.owner} {obj.connector_code or obj.beneficiary_id}".strip()

    @admin.display(description="Balance", ordering="balance")
    def balance_display(self, obj):
        return money(obj.balance, obj.currency)

    @admin.display(description="Journal")
    def entries_link(self, obj):
        url = reverse("admin:ledger_journalentry_changelist") + f"?account={obj.pk}"
        return format_html('<a class="text-primary-600 underline" href="{}">entries</a>', url)

    def get_urls(self):
        return [
            path(
                "request-adjustment/",
                self.admin_site.admin_view(self.adjustment_view),
                name="ledger_account_request_adjustment",
            ),
            *super().get_urls(),
        ]

    def has_request_adjustment_permission(self, request):
        return request.user.has_perm("ledger.request_adjustment")

    def adjustment_view(self, request):
        return self.confirm_object_action(
            request, None, ADJUSTMENT, form_kwargs={"initial_from": request.GET},
            context={"title": "Request a balance adjustment"},
        )  # fmt: skip

    def changelist_view(self, request, extra_context=None):
        extra = dict(extra_context or {})
        if self.has_request_adjustment_permission(request):
            extra["adjustment_url"] = reverse("admin:ledger_account_request_adjustment")
        return super().changelist_view(request, extra_context=extra)

    @admin.display(description="Adjust")
    def adjust_link(self, obj):
        if obj.owner != Account.Owner.MERCHANT or obj.merchant_id is None:
            return ""
        url = reverse("admin:ledger_account_request_adjustment") + "?" + urlencode(
            {"merchant": obj.merchant.public_id, "currency": obj.currency.upper(), "livemode": int(obj.livemode)}
        )  # fmt: skip
        return format_html(
            '<a class="text-primary-600 underline adjust-link" href="{}">Request adjustment</a>', url
        )

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.has_request_adjustment_permission(request):
            columns.append("adjust_link")
        return columns


def _adjustment_review(model_admin, request, _objects, data):
    amount = data["amount"]
    verb = "Credit" if amount > 0 else "Debit"
    where = "to" if amount > 0 else "from"
    mode = "live" if data["livemode"] else "test"
    return (
        f"{verb} {money(abs(amount), data['currency'])} {where} {data['merchant']}'s available balance "
        f"({mode} mode), once a second finance user approves it."
    )


def _request_adjustment(model_admin, request, _obj, data, actor):
    approval = ledger_adjustment_request(
        merchant=data["merchant"],
        livemode=data["livemode"],
        currency=data["currency"],
        amount=data["amount"],
        reason=data["reason"],
        actor=actor,
        requested_by_user=request.user,
    )
    return Outcome(
        f"Adjustment of {money(data['amount'], data['currency'])} is waiting for approval ({approval.public_id}); "
        "the balance has not changed yet.",
        messages.WARNING,
    )


ADJUSTMENT = ConfirmAction(
    perform=_request_adjustment,
    title="Request a balance adjustment",
    noun="adjustment",
    verb="Requested",
    permissions=("request_adjustment",),
    form_class=AdjustmentForm,
    review=_adjustment_review,
    submit_label="Request adjustment",
    help="Posts a balanced entry against the platform's adjustments account once another finance user "
    "approves it in the approval queue.",
)


class AccountFilter(TextFilter):
    title = "account id"
    parameter_name = "account"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        account_id = ascii_int(value, minimum=1)
        if account_id is not None:
            return queryset.filter(postings__account_id=account_id).distinct()
        if value:
            return queryset.filter(postings__account__key__icontains=value).distinct()
        return queryset


class MerchantFilter(TextFilter):
    title = "merchant id (acct_…)"
    parameter_name = "merchant_id"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(merchant__public_id=value) if value else queryset


class PostingInline(ReadOnlyAdminMixin, TabularInline):
    model = Posting
    fields = ("account", "amount_display", "currency")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "account__merchant")

    @admin.display(description="Amount (+ credit / - debit)")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("public_id", "kind", "merchant", "livemode", "source_type", "source_id", "effective_at")
    list_filter = (AccountFilter, MerchantFilter, "kind", "livemode", "effective_at")
    list_filter_submit = True
    search_fields = ("=public_id", "=source_id")
    date_hierarchy = "effective_at"
    list_select_related = ("merchant",)
    show_full_result_count = False
    inlines = [PostingInline]
    readonly_fields = (
        "public_id",
        "kind",
        "merchant",
        "livemode",
        "source_type",
        "source_id",
        "idempotency_key",
        "description",
        "effective_at",
        "created_at",
    )


@admin.register(BalanceTransaction)
class BalanceTransactionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "type",
        "status",
        "amount_display",
        "net_display",
        "source_id",
        "available_on",
        "created_at",
    )
    list_filter = ("type", "status", "livemode", "currency", "created_at")
    search_fields = ("=public_id", "=source_id", "=payout_id", "=merchant__public_id")
    list_select_related = ("merchant",)
    show_full_result_count = False
    date_hierarchy = "created_at"

    @admin.display(description="Amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description="Net")
    def net_display(self, obj):
        return money(obj.net, obj.currency)


@admin.register(CaptureRecord)
class CaptureRecordAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Captures as the ledger saw them; filter fx status = rate_missing for the finance follow-up."""

    list_display = (
        "charge_id",
        "merchant",
        "amount_display",
        "settled_display",
        "fx_status",
        "fx_rate",
        "fee",
        "created_at",
    )
    list_filter = ("fx_status", "livemode", "currency", "settlement_currency")
    search_fields = ("=charge_id", "=payment_intent_id", "=merchant__public_id")
    list_select_related = ("merchant",)
    show_full_result_count = False

    @admin.display(description="Amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description="Settled")
    def settled_display(self, obj):
        return money(obj.settlement_amount, obj.settlement_currency)


class FeeScheduleForm(forms.ModelForm):
    """The fixed fee is typed in major units of the schedule's currency (15.00 USD, 50 JPY)."""

    fixed_amount = MoneyField(allow_zero=True, initial=0, help_text="In the schedule's currency, e.g. 0.30.")

    class Meta:
        model = FeeSchedule
        fields = ("merchant", "currency", "payment_method_type", "percent_bp", "fixed_amount", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self.data.get(self.add_prefix("currency")) or self.instance.currency or "USD"
        self.fields["fixed_amount"].currency = currency.upper()


@admin.register(FeeSchedule)
class FeeScheduleAdmin(ConfigHistoryMixin, ModelAdmin):
    form = FeeScheduleForm
    list_display = ("merchant", "currency", "payment_method_type", "percent_bp", "fixed_display", "active")
    list_filter = ("currency", "payment_method_type", "active")
    search_fields = ("merchant__name", "=merchant__public_id")
    list_select_related = ("merchant",)
    autocomplete_fields = ()

    @admin.display(description="Fixed")
    def fixed_display(self, obj):
        return money(obj.fixed_amount, obj.currency)

    def save_model(self, request, obj, form, change):
        fee_schedule_save(
            schedule=obj,
            actor=Actor.staff(request.user),
            before={name: form.initial.get(name) for name in form.changed_data} if change else None,
            after={name: form.cleaned_data.get(name) for name in form.changed_data},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: past fees must stay explainable


class RatesCsvForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: base,quote,rate,as_of (ISO 8601; empty = now)")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ModelAdmin):
    list_display = ("base", "quote", "rate", "source", "as_of", "created_at")
    list_filter = ("base", "quote", "source")
    search_fields = ("=base", "=quote")
    date_hierarchy = "as_of"
    readonly_fields = ("source", "created_at")

    def save_model(self, request, obj, form, change):
        exchange_rate_save(exchange_rate=obj, actor=Actor.staff(request.user))

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "import-csv/", self.admin_site.admin_view(self.import_view), name="ledger_exchangerate_import"
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RatesCsvForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8-sig")
                count = exchange_rates_import_csv(text)
            except (ApplicationError, UnicodeDecodeError) as exc:
                form.add_error("file", getattr(exc, "message", str(exc)))
            else:
                audit_record(
                    actor=Actor.staff(request.user),
                    action="exchange_rate.csv_imported",
                    object_type="ledger.exchangerate",
                    after={"rows": count},
                )
                messages.success(request, f"Imported {count} rate(s).")
                return HttpResponseRedirect(reverse("admin:ledger_exchangerate_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import exchange rates (CSV)",
            "opts": self.model._meta,
            "form": form,
            "submit_label": "Import",
        }
        return TemplateResponse(request, "admin/ledger/form_page.html", context)


@timeline_source("ledger")
def _ledger_entries(intent):
    """The journal entries the payment's captures and refunds posted, with their legs."""
    charge_ids = list(intent.charges.values_list("public_id", flat=True)[:50])
    refund_ids = list(intent.refunds.values_list("public_id", flat=True)[:50])
    entries = (
        JournalEntry.objects.filter(
            Q(source_type="charge", source_id__in=charge_ids)
            | Q(source_type="refund", source_id__in=refund_ids)
        )
        .prefetch_related("postings__account")
        .order_by("id")[:50]
    )
    for entry in entries:
        legs = " · ".join(f"{p.account.kind} {money(p.amount, p.currency)}" for p in entry.postings.all())
        yield TimelineEntry(
            at=entry.created_at, kind="ledger", title=f"Journal entry {entry.public_id}: {entry.kind}",
            detail=legs, url=reverse("admin:ledger_journalentry_change", args=[entry.pk]),
        )  # fmt: skip


@header_part("merchants.merchant", "balances")
def _merchant_balances(request, merchant):
    """The merchant's available and pending balance per currency and mode (two queries per mode),
    and the adjustment request for a role that may ask for one."""
    from .selectors import balance_get

    accounts_url = reverse("admin:ledger_account_changelist") + "?" + urlencode({"q": merchant.public_id})
    for livemode in (True, False):
        balances = sorted(balance_get(merchant=merchant, livemode=livemode).items())
        if not balances:
            continue
        mode = "live" if livemode else "test"
        yield HeaderFact(
            f"Available ({mode})", " · ".join(money(b["available"], c) for c, b in balances), accounts_url
        )
        yield HeaderFact(f"Pending ({mode})", " · ".join(money(b["pending"], c) for c, b in balances))
    if request.user.has_perm("ledger.request_adjustment"):
        query = urlencode(
            {"merchant": merchant.public_id, "currency": merchant.default_currency.upper(), "livemode": 0}
        )
        yield HeaderAction("adjust", "Request adjustment",
                           reverse("admin:ledger_account_request_adjustment") + "?" + query, "tune")  # fmt: skip
