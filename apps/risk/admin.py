"""The risk role's screens: the open-review queue (authorization expiry first, a warning band
under 24 h) with approve / refund as fraud / cancel; rule-set versions with their backtest and an
audited activation; rules with hits, labelled precision and money blocked; decisions; overrides
(a second analyst approves through apps.approvals); the card-testing guard, liftable."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from apps.audit.services import Actor
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome, confirm_action
from apps.backoffice.money import money
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.merchants.models import Merchant

from .models import (
    CardTestingBlock,
    EarlyFraudWarning,
    Override,
    Review,
    RiskDecision,
    RiskSettings,
    Rule,
    RuleSet,
    ValueList,
    ValueListItem,
)
from .services import (
    card_testing_block_lift,
    override_create,
    review_approve,
    review_cancel,
    review_refund_as_fraud,
    rule_set_activate,
    rule_set_version_create,
)
from .services.backtest import backtest, rule_stats
from .services.overrides import override_revoke

WARNING_BAND = timedelta(hours=24)


def _no_delete(actions):
    actions.pop("delete_selected", None)
    return actions


def _matched(decision) -> str:
    if decision is None or not decision.matched_rules:
        return "—"
    return ", ".join(f"{m['action']}: {m['predicate']}" for m in decision.matched_rules)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = ("public_id", "payment_intent", "merchant", "amount_display", "score_display", "matched_display",
                    "warning_display", "expires_display", "held", "open", "closed_reason")  # fmt: skip
    list_filter = ("open", "held", "closed_reason", "livemode")
    list_select_related = ("payment_intent", "charge", "decision", "merchant")
    search_fields = ("=public_id",)
    ordering = ("-open", "authorization_expires_at", "id")
    actions = ["approve_reviews", "refund_reviews_as_fraud", "cancel_reviews"]
    readonly_fields = ("public_id", "merchant", "payment_intent", "charge", "open", "held", "opened_reason",
                       "closed_reason", "authorization_expires_at", "closed_at", "closed_by", "note",
                       "score_display", "matched_display", "inputs_display")  # fmt: skip
    exclude = ("decision", "reason", "livemode")

    def has_close_permission(self, request):
        return request.user.has_perm("risk.close_review")

    def get_queryset(self, request):
        # The issuer's early fraud warning on the charge, if any: one subquery, not one per row.
        warnings = EarlyFraudWarning.objects.filter(charge=OuterRef("charge")).order_by("-id")
        return (
            super().get_queryset(request).annotate(warning_type=Subquery(warnings.values("fraud_type")[:1]))
        )

    @admin.display(description="early fraud warning")
    def warning_display(self, obj):
        kind = getattr(obj, "warning_type", None)
        if not kind:
            return "—"
        return format_html('<strong class="text-red-600">⚠ {}</strong>', kind.replace("_", " "))

    def get_actions(self, request):
        return _no_delete(super().get_actions(request))

    @admin.display(description="amount")
    def amount_display(self, obj):
        return money(obj.charge.amount, obj.charge.currency)

    @admin.display(description="score")
    def score_display(self, obj):
        d = obj.decision
        return f"{d.score} ({d.risk_level})" if d else "—"

    @admin.display(description="matched rules")
    def matched_display(self, obj):
        return _matched(obj.decision)

    @admin.display(description="inputs")
    def inputs_display(self, obj):
        if obj.decision is None:
            return "—"
        return format_html_join(format_html("<br>"), "{}: {}", sorted(obj.decision.inputs.items()))

    @admin.display(description="authorization expires", ordering="authorization_expires_at")
    def expires_display(self, obj):
        if obj.authorization_expires_at is None:
            return "—"
        left = obj.authorization_expires_at - timezone.now()
        text = obj.authorization_expires_at.strftime("%Y-%m-%d %H:%M")
        if obj.open and left < WARNING_BAND:
            return format_html(
                '<strong class="text-red-600" title="expires in under 24 h">⚠ {}</strong>', text
            )
        return text

    @confirm_action(description="Approve selected reviews (captures a held payment)", permissions=["close"],
                    title="Approved reviews", noun="review", verb="Approved")  # fmt: skip
    def approve_reviews(self, request, review, data, actor):
        review_approve(review_id=review.pk, actor=actor, reason=data["reason"])

    @confirm_action(description="Refund selected payments as fraud", permissions=["close"],
                    title="Refunded as fraud", noun="review", verb="Refunded as fraud")  # fmt: skip
    def refund_reviews_as_fraud(self, request, review, data, actor):
        review_refund_as_fraud(review_id=review.pk, actor=actor, reason=data["reason"])

    @confirm_action(description="Cancel selected payments (void the authorization)", permissions=["close"],
                    title="Canceled reviews", noun="review", verb="Canceled")  # fmt: skip
    def cancel_reviews(self, request, review, data, actor):
        review_cancel(review_id=review.pk, actor=actor, reason=data["reason"])


_RULE_STATS: ContextVar[dict | None] = ContextVar("risk_rule_stats", default=None)


@admin.register(Rule)
class RuleAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The rules of every version; hits, precision and blocked money over 30 days."""

    list_display = ("rule_id", "version", "active", "action", "predicate", "enabled", "hits", "precision",
                    "blocked", "warnings_display")  # fmt: skip
    list_filter = ("action", "rule_set__is_active")
    list_select_related = ("rule_set", "rule_set__merchant")
    search_fields = ("=rule_id", "predicate")
    ordering = ("-rule_set__version", "position")

    def changelist_view(self, request, extra_context=None):
        # Per request, not on the admin (one instance serves every thread): the 30-day stats of
        # each merchant and mode on the page, read once.
        token = _RULE_STATS.set({})
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _RULE_STATS.reset(token)

    def _stat(self, obj) -> dict:
        stats = _RULE_STATS.get()
        if stats is None:
            stats = {}
        key = (obj.rule_set.merchant_id, obj.rule_set.livemode)
        if key not in stats:
            stats[key] = rule_stats(merchant_id=key[0], livemode=key[1])
        return stats[key].get(obj.rule_id, {})

    @admin.display(description="version")
    def version(self, obj):
        return obj.rule_set.version

    @admin.display(description="active", boolean=True)
    def active(self, obj):
        return obj.rule_set.is_active

    @admin.display(description="hits (30 d)")
    def hits(self, obj):
        return self._stat(obj).get("hits", 0)

    @admin.display(description="labelled precision")
    def precision(self, obj):
        stat = self._stat(obj)
        if not stat.get("labelled"):
            return "—"
        return f"{stat['precision']:.0%} of {stat['labelled']}"

    @admin.display(description="blocked")
    def blocked(self, obj):
        amounts = self._stat(obj).get("blocked_amount") or {}
        return ", ".join(money(v, c) for c, v in sorted(amounts.items())) or "—"

    @admin.display(description="linter")
    def warnings_display(self, obj):
        return "; ".join(w["message"] for w in obj.warnings) or "—"


class RuleInline(admin.TabularInline):
    model = Rule
    fields = ("rule_id", "action", "predicate", "enabled", "warnings")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DraftVersionForm(forms.Form):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.order_by("name"))
    livemode = forms.BooleanField(required=False)
    rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-mono"}),
        help_text="One rule a line: <action>: <predicate>, e.g. block: :risk_score: > 75. "
        "Actions: request_3ds, allow, block, review. Empty lines are skipped.",
    )
    note = forms.CharField(max_length=500, required=False)
    reason = forms.CharField(max_length=500, min_length=3, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept in the audit log.")  # fmt: skip

    def clean_rules(self):
        parsed = []
        for number, line in enumerate(self.cleaned_data["rules"].splitlines(), start=1):
            if not line.strip():
                continue
            action, sep, predicate = line.partition(":")
            if not sep or action.strip() not in Rule.Action.values:
                raise forms.ValidationError(f"Line {number}: start with an action and a colon (block: …).")
            parsed.append((number, action.strip(), predicate.strip()))
        if not parsed:
            raise forms.ValidationError("A version needs at least one rule.")
        return parsed


def _draft_create(model_admin, request, obj, data, actor):
    from apps.core.errors import ApplicationError, InvalidRequestError

    from .services.rulesets import rule_validate

    merchant, livemode = data["merchant"], data["livemode"]
    latest = {r.predicate: r.rule_id for r in Rule.objects.filter(
        rule_set__merchant=merchant, rule_set__livemode=livemode).order_by("rule_set__version")}  # fmt: skip
    rules = []
    for number, action, predicate in data["rules"]:
        try:
            rule_validate(merchant=merchant, livemode=livemode, action=action, predicate=predicate)
        except ApplicationError as exc:
            raise InvalidRequestError(
                f"Line {number}: {exc.message}", code=exc.code, param=exc.param
            ) from None
        rules.append({"action": action, "predicate": predicate, "rule_id": latest.get(predicate)})
    rule_set = rule_set_version_create(merchant=merchant, livemode=livemode, actor=actor, rules=rules,
                                       note=data.get("note") or data["reason"])  # fmt: skip
    return Outcome(f"Draft version {rule_set.version} created (not active): open it to read its backtest.")


DRAFT = ConfirmAction(perform=_draft_create, title="New rule-set version (draft)", noun="version", verb="Created",
                      permissions=("add",), form_class=DraftVersionForm, submit_label="Create draft",
                      help="The draft does not touch live traffic; activate it from the list after its backtest.")  # fmt: skip


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "livemode", "version", "is_active", "note", "created_by",
                    "activated_at")  # fmt: skip
    list_filter = ("is_active", "livemode")
    list_select_related = ("merchant",)
    inlines = [RuleInline]
    readonly_fields = ("public_id", "merchant", "livemode", "version", "is_active", "note", "created_by",
                       "activated_at", "activated_by", "backtest_display")  # fmt: skip
    actions = ["activate_versions"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("risk.add_ruleset")

    def add_view(self, request, form_url="", extra_context=None):
        return self.confirm_object_action(request, None, DRAFT)

    def has_activate_permission(self, request):
        return request.user.has_perm("risk.change_ruleset")

    def get_actions(self, request):
        return _no_delete(super().get_actions(request))

    @admin.display(description="backtest (last 30 days)")
    def backtest_display(self, obj):
        result = backtest(rule_set=obj).as_dict()
        return format_html(
            "{} decisions replayed: would block {}, review {}, request 3DS {}, allow {} ({} change).<br>"
            "Labelled fraud caught: {} of {}; labelled legitimate blocked: {}.",
            result["decisions"], result["would"].get("block", 0), result["would"].get("review", 0),
            result["would"].get("request_3ds", 0), result["would"].get("allow", 0), result["changed"],
            result["fraud_caught"], result["fraud_total"], result["legit_stopped"],
        )  # fmt: skip

    @confirm_action(description="Activate the selected version (backtest recorded)", permissions=["activate"],
                    title="Activated rule-set versions", noun="version", verb="Activated",
                    help="Open the version first to read its backtest; the backtest is kept with the audit entry.")  # fmt: skip
    def activate_versions(self, request, rule_set, data, actor):
        diff = backtest(rule_set=rule_set).as_dict()
        rule_set_activate(rule_set_id=rule_set.pk, actor=actor, reason=data["reason"], diff=diff)
        return Outcome(
            f"Version {rule_set.version} is active. Backtest: {diff['decisions']} decisions, would block "
            f"{diff['would'].get('block', 0)}, review {diff['would'].get('review', 0)}, changed {diff['changed']}; "
            f"fraud caught {diff['fraud_caught']} of {diff['fraud_total']}."
        )


@admin.register(RiskDecision)
class RiskDecisionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("public_id", "charge", "merchant", "action", "source", "score", "risk_level",
                    "rule_set_version", "amount_display", "created_at")  # fmt: skip
    list_filter = ("action", "source", "risk_level", "livemode")
    list_select_related = ("charge", "merchant")
    search_fields = ("=public_id", "=rule_id")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency or "USD")


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ("merchant", "livemode", "kind", "value", "effect", "reason", "expires_at")


@admin.register(Override)
class OverrideAdmin(ConfirmActionMixin, ModelAdmin):
    """Adding an override calls the service: above the merchant's amount (or any allow of a card,
    e-mail or IP) it waits for a second analyst in All approvals."""

    form = OverrideForm
    list_display = ("public_id", "merchant", "kind", "value", "effect", "status", "amount_display",
                    "requested_by", "approved_by", "created_at")  # fmt: skip
    list_filter = ("status", "kind", "effect", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "=value")
    actions = ["revoke_overrides"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("risk.change_override")

    def get_actions(self, request):
        return _no_delete(super().get_actions(request))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in self.model._meta.fields]

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        created = override_create(
            merchant=data["merchant"], livemode=data["livemode"], kind=data["kind"], value=data["value"],
            effect=data["effect"], reason=data["reason"], actor=Actor.staff(request.user), user=request.user,
            expires_at=data.get("expires_at"),
        )  # fmt: skip
        obj.pk, obj.public_id, obj.status = created.pk, created.public_id, created.status

    def response_add(self, request, obj, post_url_continue=None):
        if obj.status == Override.Status.PENDING_APPROVAL:
            self.message_user(request, f"Override {obj.public_id} waits for a second analyst's approval.")
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency) if obj.amount is not None else "—"

    @confirm_action(description="Revoke selected overrides", permissions=["revoke"], title="Revoked overrides",
                    noun="override", verb="Revoked")  # fmt: skip
    def revoke_overrides(self, request, override, data, actor):
        override_revoke(override_pk=override.pk, actor=actor, reason=data["reason"])


@admin.register(CardTestingBlock)
class CardTestingBlockAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "kind",
        "value",
        "declines",
        "blocked_until",
        "live",
        "lifted_by",
    )
    list_filter = ("kind", "livemode")
    list_select_related = ("merchant",)
    actions = ["lift_blocks"]

    def has_lift_permission(self, request):
        return request.user.has_perm("risk.change_cardtestingblock")

    def get_actions(self, request):
        return _no_delete(super().get_actions(request))

    @admin.display(description="blocking now", boolean=True)
    def live(self, obj):
        return obj.lifted_at is None and obj.blocked_until > timezone.now()

    @confirm_action(description="Lift selected card-testing blocks", permissions=["lift"], title="Lifted blocks",
                    noun="block", verb="Lifted")  # fmt: skip
    def lift_blocks(self, request, block, data, actor):
        card_testing_block_lift(block_id=block.pk, actor=actor, reason=data["reason"])


class ValueListItemInline(admin.TabularInline):
    model = ValueListItem
    fields = ("public_id", "value", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ValueList)
class ValueListAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "alias", "name", "item_type", "livemode", "created_at")
    list_filter = ("item_type", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "alias")
    inlines = [ValueListItemInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(RiskSettings)
class RiskSettingsAdmin(ModelAdmin):
    """Thresholds, the review capture mode, the override amount and the card-testing guard;
    saved through the service (audited, the hot path's pointer refreshed)."""

    list_display = ("merchant", "elevated_threshold", "highest_threshold", "review_capture",
                    "override_approval_amount", "card_testing_declines")  # fmt: skip
    list_select_related = ("merchant",)
    fields = ("merchant", "elevated_threshold", "highest_threshold", "review_capture", "override_approval_amount",
              "card_testing_declines", "card_testing_window_seconds", "card_testing_block_seconds")  # fmt: skip

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ("merchant",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        from .services.rulesets import risk_settings_update

        changes = {
            name: form.cleaned_data[name]
            for name in self.fields
            if name != "merchant" and name in form.cleaned_data
        }
        saved = risk_settings_update(merchant=obj.merchant, actor=Actor.staff(request.user), changes=changes,
                                     reason="back office")  # fmt: skip
        obj.pk = saved.pk


# The issuers' early fraud warnings have their own page; the payment workbench's risk entries and
# Review button register with apps.backoffice.timeline.
from . import admin_warnings, admin_workbench  # noqa: E402, F401
