from django import forms
from django.contrib import admin, messages
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from unfold.admin import ModelAdmin, StackedInline
from unfold.widgets import UnfoldAdminTextInputWidget

from apps.audit.history import ConfigHistoryMixin, render_history
from apps.audit.services import Actor
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, confirm_action
from apps.backoffice.display import when
from apps.backoffice.headers import HeaderAction, HeaderFact, object_header
from apps.backoffice.money import MoneyField, money, to_minor
from apps.core.currencies import CURRENCIES

from .models import ApiKey, Merchant, MerchantSettings
from .services import (
    PER_CURRENCY_FIELDS,
    SETTINGS_FIELDS,
    api_key_create,
    api_key_revoke,
    merchant_create,
    merchant_set_status,
    merchant_settings_update,
    merchant_update,
)

MERCHANT_ADD_FIELDS = ("name", "country", "default_currency", "settlement_currency")


THRESHOLD_KINDS = (("refund", "Refund"), ("payout", "Payout"))


def threshold_currencies(settings: MerchantSettings | None, merchant: Merchant | None) -> list[str]:
    """The currencies the settings form offers thresholds for: the merchant's default and settlement
    currencies and those that already have a threshold of their own."""
    codes = set()
    if merchant is not None:
        codes |= {merchant.default_currency.upper(), merchant.settlement_currency.upper()}
    if settings is not None:
        codes |= set(settings.refund_approval_thresholds or {}) | set(
            settings.payout_approval_thresholds or {}
        )
    return sorted(codes)


def thresholds_text(settings: MerchantSettings, kind: str) -> str:
    """ "100.00 USD · 1,000 JPY", and the legacy single threshold where set (raw, labelled)."""
    per_currency = getattr(settings, f"{kind}_approval_thresholds") or {}
    legacy = getattr(settings, f"{kind}_approval_threshold")
    parts = [money(amount, code) for code, amount in sorted(per_currency.items())]
    if legacy is not None:
        parts.append(f"other currencies: {legacy} minor units (legacy API value)")
    return " · ".join(parts) or "no approval step"


class MerchantSettingsForm(forms.ModelForm):
    """Per currency, the refund and payout approval thresholds typed in that currency's major units
    (`refund_threshold_<CUR>` / `payout_threshold_<CUR>`, added per merchant by the inline), a
    currency not yet listed with its thresholds, and dropping the legacy single thresholds."""

    add_threshold_currency = forms.ChoiceField(
        required=False, label="Add thresholds for another currency",
        choices=[("", "—")] + [(code, code) for code in sorted(CURRENCIES)],
    )  # fmt: skip
    add_refund_threshold = forms.DecimalField(
        required=False, min_value=0, label="Its refund approval threshold, in that currency",
        help_text="As written on a receipt (e.g. 100.00 for USD, 1000 for JPY, 5.000 for KWD).",
        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    add_payout_threshold = forms.DecimalField(
        required=False, min_value=0, label="Its payout approval threshold, in that currency",
        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    clear_legacy_thresholds = forms.BooleanField(
        required=False, label="Drop the legacy single thresholds",
        help_text="The first API's refund_approval_threshold / payout_approval_threshold, one number of "
        "minor units applied to every currency without its own threshold. Each currency shown keeps "
        "the threshold it shows.",
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        code = data.get("add_threshold_currency")
        given = {kind: data.get(f"add_{kind}_threshold") for kind, _ in THRESHOLD_KINDS}
        if code and all(v is None for v in given.values()):
            self.add_error("add_refund_threshold", f"Enter a threshold in {code}.")
        elif not code and any(v is not None for v in given.values()):
            self.add_error("add_threshold_currency", "Choose the currency of these thresholds.")
        elif code:
            for kind, major in given.items():
                if major is None:
                    continue
                try:
                    data[f"add_{kind}_threshold_minor"] = to_minor(major, code)
                except forms.ValidationError as exc:
                    self.add_error(f"add_{kind}_threshold", exc)
        return data

    def threshold_changes(self, kind: str) -> dict:
        """{currency: minor units, or None (emptied: the currency falls back to the legacy value)}.
        When the legacy thresholds are dropped every shown currency keeps what it showed, so no
        currency's threshold changes unseen."""
        prefix = f"{kind}_threshold_"
        every = bool(self.cleaned_data.get("clear_legacy_thresholds"))
        changes = {}
        for name in self.fields if every else self.changed_data:
            if name.startswith(prefix):
                changes[name.removeprefix(prefix)] = self.cleaned_data.get(name)
        added = self.cleaned_data.get(f"add_{kind}_threshold_minor")
        if added is not None:
            changes[self.cleaned_data["add_threshold_currency"]] = added
        return changes

    def service_changes(self) -> dict:
        """What this form changes, in ``merchant_settings_update``'s terms (so the edit is audited
        and versioned like an API one): the plain fields it changed, each kind's per-currency
        changes, and the legacy single thresholds dropped when asked."""
        changes = {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in SETTINGS_FIELDS and name not in PER_CURRENCY_FIELDS
        }
        for kind, _ in THRESHOLD_KINDS:
            per_currency = self.threshold_changes(kind)
            if per_currency:
                changes[f"{kind}_approval_thresholds"] = per_currency
            if self.cleaned_data.get("clear_legacy_thresholds"):
                changes[f"{kind}_approval_threshold"] = None
        return changes


class MerchantSettingsInline(StackedInline):
    """The merchant's settings. The maximum authorization applies to the merchant's default
    currency, so it is typed in that currency's major units; the approval thresholds are per
    currency (apps.refunds / apps.payouts services compare an amount with the threshold of its own
    currency), each typed in its currency's major units with the code beside it."""

    model = MerchantSettings
    form = MerchantSettingsForm
    can_delete = False
    exclude = ("refund_approval_thresholds", "payout_approval_thresholds",
               "refund_approval_threshold", "payout_approval_threshold")  # fmt: skip
    readonly_fields = ("version", "refund_thresholds", "payout_thresholds")
    extra = 0

    @admin.display(description="Refund approval thresholds")
    def refund_thresholds(self, obj):
        return thresholds_text(obj, "refund") if obj is not None and obj.pk else "—"

    @admin.display(description="Payout approval thresholds")
    def payout_thresholds(self, obj):
        return thresholds_text(obj, "payout") if obj is not None and obj.pk else "—"

    def get_formset(self, request, obj=None, **kwargs):
        currency = obj.default_currency.upper() if obj is not None else "USD"
        settings = getattr(obj, "settings", None) if obj is not None and obj.pk else None
        fields = {
            "max_authorization_amount": MoneyField(
                currency=currency, label=f"Maximum authorization ({currency})", allow_zero=True,
                help_text=f"The largest payment in {currency} an API key may authorize.",
            ),
        }  # fmt: skip
        fields["max_authorization_amount"].set_currency(
            currency, note=f"Payments in {currency} above it are refused; 0: no maximum."
        )
        for code in threshold_currencies(settings, obj):
            for kind, label in THRESHOLD_KINDS:
                field = MoneyField(
                    currency=code, required=False, allow_zero=True, label=f"{label} approval threshold in {code}",
                    initial=getattr(settings, f"{kind}_threshold_for")(code) if settings is not None else None,
                )  # fmt: skip
                field.set_currency(
                    code,
                    note=f"A {kind} in {code} above it waits for an approver; empty: the legacy value, if any.",
                )
                fields[f"{kind}_threshold_{code}"] = field
        kwargs["form"] = type("MerchantSettingsFormFor", (self.form,), fields)
        return super().get_formset(request, obj, **kwargs)


def _status_setter(status: str):
    def perform(model_admin, request, merchant, data, actor):
        if merchant.status == status:
            return "Skipped {n} {noun}(s) already " + status + "."
        merchant_set_status(merchant_id=merchant.pk, status=status, actor=actor, reason=data["reason"])
        return None

    return perform


STATUS_ACTIONS = {
    "suspend": ConfirmAction(
        perform=_status_setter(Merchant.Status.SUSPENDED), title="Suspend merchant", noun="merchant",
        verb="Suspended", permissions=("change",), submit_label="Suspend",
        help="Its API keys stop working for payments until it is reactivated; the reason is audited.",
    ),
    "reactivate": ConfirmAction(
        perform=_status_setter(Merchant.Status.ACTIVE), title="Reactivate merchant", noun="merchant",
        verb="Reactivated", permissions=("change",), submit_label="Reactivate",
    ),
}  # fmt: skip


@admin.register(Merchant)
class MerchantAdmin(ConfirmActionMixin, ModelAdmin):
    """A merchant's page: a header (name, status, currencies; balances, payments, payouts and
    disputes added by those apps through apps.backoffice.headers; suspend / reactivate and the
    other apps' one-click actions for this role), then its fields and settings."""

    change_form_outer_before_template = "admin/backoffice/object_header.html"
    list_display = (
        "name",
        "public_id",
        "country",
        "default_currency",
        "settlement_currency",
        "status",
        "created_at",
    )
    list_filter = ("status", "country")
    search_fields = ("name", "public_id", "support_email")
    readonly_fields = ("public_id", "status", "created_at", "updated_at", "settings_history")
    inlines = [MerchantSettingsInline]

    def get_fields(self, request, obj=None):
        # A new merchant is created by merchant_create (which also creates its settings row); the
        # settings and the rest are edited on its page afterwards.
        if obj is None:
            return MERCHANT_ADD_FIELDS
        return super().get_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else super().get_inlines(request, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/status/<str:action>/",
                self.admin_site.admin_view(self.status_view),
                name="merchants_merchant_status",
            ),
            *super().get_urls(),
        ]

    def status_view(self, request, object_id, action):
        merchant = self.get_object(request, object_id)
        if merchant is None or action not in STATUS_ACTIONS:
            raise Http404
        return self.confirm_object_action(
            request, merchant, STATUS_ACTIONS[action],
            done_url=reverse("admin:merchants_merchant_change", args=[merchant.pk]),
            context={"title": f"{STATUS_ACTIONS[action].title} {merchant.name}"},
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        merchant = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if merchant is not None:
            extra.update(
                {"title": merchant.name, "subtitle": None, "object_header": self.header(request, merchant)}
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def header(self, request, merchant) -> dict:
        actions = []
        if self.has_change_permission(request, merchant):
            name = "reactivate" if merchant.status == Merchant.Status.SUSPENDED else "suspend"
            actions.append(HeaderAction(name, STATUS_ACTIONS[name].title.split()[0],
                                        reverse("admin:merchants_merchant_status", args=[merchant.pk, name]),
                                        "play_arrow" if name == "reactivate" else "pause"))  # fmt: skip
        if request.user.has_perm("merchants.add_apikey"):
            actions.append(HeaderAction("api-key", "New API key",
                                        reverse("admin:merchants_apikey_add") + "?" + urlencode({"merchant": merchant.pk}),
                                        "key"))  # fmt: skip
        keys_url = reverse("admin:merchants_apikey_changelist") + "?" + urlencode({"q": merchant.public_id})
        return object_header(
            request, merchant, label=f"Merchant {merchant.public_id}", headline=merchant.name,
            status=merchant.status, tone="success" if merchant.status == Merchant.Status.ACTIVE else "danger",
            facts=[
                HeaderFact("Support email", merchant.support_email or "—"),
                HeaderFact("Country", merchant.country),
                HeaderFact("Currencies", f"{merchant.default_currency} (settles in {merchant.settlement_currency})"),
                HeaderFact("API keys", "list", keys_url),
                HeaderFact("Merchant since", when(merchant.created_at)),
            ],
            actions=actions,
        )  # fmt: skip

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            merchant_update(merchant_id=obj.pk, changes=changes, actor=Actor.staff(request.user))
            obj.refresh_from_db()
            return None
        merchant = merchant_create(
            name=form.cleaned_data["name"],
            country=form.cleaned_data["country"],
            default_currency=form.cleaned_data["default_currency"],
            settlement_currency=form.cleaned_data["settlement_currency"],
            actor=Actor.staff(request.user),
        )
        obj.__dict__.update({k: v for k, v in merchant.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        """The settings inline goes through ``merchant_settings_update``: audited, versioned and
        invalidating the API's cached settings like an API edit."""
        if formset.model is not MerchantSettings:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for settings_form in formset.forms:
            changes = settings_form.service_changes() if settings_form.has_changed() else {}
            if changes:
                merchant_settings_update(
                    merchant=form.instance, changes=changes, actor=Actor.staff(request.user)
                )
                formset.changed_objects.append((settings_form.instance, settings_form.changed_data))
        return None

    @admin.display(description="History of settings changes")
    def settings_history(self, obj):
        settings = getattr(obj, "settings", None) if obj is not None and obj.pk else None
        return render_history(settings) if settings is not None else "—"


@admin.register(ApiKey)
class ApiKeyAdmin(ConfigHistoryMixin, ConfirmActionMixin, ModelAdmin):
    list_display = (
        "display_prefix",
        "merchant",
        "kind",
        "livemode",
        "name",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("kind", "livemode", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("public_id", "display_prefix", "name", "merchant__name", "merchant__public_id")
    list_select_related = ("merchant",)
    readonly_fields = (
        "public_id",
        "display_prefix",
        "lookup",
        "hashed_key",
        "last_used_at",
        "revoked_at",
        "created_by",
        "created_at",
    )
    actions = ["revoke_keys"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("merchant", "kind", "livemode", "name", "scopes", "expires_at")
        return (
            "public_id",
            "merchant",
            "kind",
            "livemode",
            "name",
            "display_prefix",
            "scopes",
            "expires_at",
            "last_used_at",
            "last_stripe_version",
            "revoked_at",
            "created_by",
            "created_at",
            "config_history",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "config_history",
            "public_id",
            "merchant",
            "kind",
            "livemode",
            "display_prefix",
            "scopes",
            "expires_at",
            "last_used_at",
            "last_stripe_version",
            "revoked_at",
            "created_by",
            "created_at",
        )

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, plaintext = api_key_create(
            merchant=obj.merchant,
            kind=obj.kind,
            livemode=obj.livemode,
            actor=Actor.staff(request.user),
            name=obj.name,
            scopes=obj.scopes or None,
            expires_at=obj.expires_at,
        )
        obj.__dict__.update({k: v for k, v in key.__dict__.items() if not k.startswith("_")})
        messages.warning(request, f"Copy this key now, it will not be shown again: {plaintext}")

    @confirm_action(
        description="Revoke selected keys", permissions=["revoke"], title="Revoke API keys", noun="key",
        verb="Revoked", submit_label="Revoke",
    )  # fmt: skip
    def revoke_keys(self, request, key, data, actor):
        if key.revoked_at is not None:
            return "Skipped {n} already revoked key(s)."
        api_key_revoke(merchant=key.merchant, key_id=key.public_id, actor=actor, reason=data["reason"])
        return f"Revoked at {timezone.now():%Y-%m-%d %H:%M} UTC:"

    def has_revoke_permission(self, request):
        return request.user.has_perm("merchants.revoke_apikey")
