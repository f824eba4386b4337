"""Reads of risk: tenant-scoped lookups for the API, the review queue and the decision of a
charge (used by the back office's payment timeline)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.selectors import tenant_get

from .models import Override, Review, RiskDecision, Rule, RuleSet, ValueList, ValueListItem


def rule_set_active(*, merchant, livemode: bool) -> RuleSet | None:
    return RuleSet.objects.filter(merchant=merchant, livemode=livemode, is_active=True).first()


def rule_set_latest(*, merchant, livemode: bool) -> RuleSet | None:
    return RuleSet.objects.filter(merchant=merchant, livemode=livemode).order_by("-version").first()


def rules_of(rule_set: RuleSet | None) -> list[Rule]:
    if rule_set is None:
        return []
    return list(Rule.objects.filter(rule_set=rule_set).order_by("position", "id"))


def rule_find(*, merchant, livemode: bool, id: str) -> Rule:
    """The rule `id` (rule_…) in the latest version."""
    from apps.core.errors import NotFoundError

    latest = rule_set_latest(merchant=merchant, livemode=livemode)
    rule = Rule.objects.filter(rule_set=latest, rule_id=id).first() if latest else None
    if rule is None:
        raise NotFoundError("risk rule", id)
    return rule


def value_list_get(*, merchant, livemode: bool, id: str) -> ValueList:
    return tenant_get(
        ValueList.objects.all(), merchant=merchant, livemode=livemode, id=id, resource="value list"
    )


def value_list_list(*, merchant, livemode: bool, filters: dict | None = None) -> QuerySet:
    qs = ValueList.objects.filter(merchant=merchant, livemode=livemode)
    filters = filters or {}
    if filters.get("alias"):
        qs = qs.filter(alias=filters["alias"])
    return qs.order_by("-id")


def value_list_item_get(*, merchant, livemode: bool, id: str) -> ValueListItem:
    return tenant_get(
        ValueListItem.objects.select_related("value_list"), merchant=merchant, livemode=livemode, id=id,
        resource="value list item",
    )  # fmt: skip


def value_list_item_list(
    *, merchant, livemode: bool, value_list: ValueList, value: str | None = None
) -> QuerySet:
    qs = ValueListItem.objects.filter(merchant=merchant, livemode=livemode, value_list=value_list)
    if value:
        qs = qs.filter(value=value.lower())
    return qs.select_related("value_list").order_by("-id")


def decision_get(*, merchant, livemode: bool, id: str) -> RiskDecision:
    return tenant_get(
        RiskDecision.objects.select_related("charge", "payment_intent"), merchant=merchant, livemode=livemode,
        id=id, resource="risk decision",
    )  # fmt: skip


def decision_for_charge(charge) -> RiskDecision | None:
    """The risk decision of one payment attempt (the back office's timeline shows it)."""
    from .services.engine import recent

    if hasattr(charge, "_risk_decision"):  # a page loaded by decisions_prefetch
        return charge._risk_decision
    cached = recent(charge.pk)
    if cached is not None:
        return cached
    return RiskDecision.objects.filter(charge_id=charge.pk).first()


def decisions_prefetch(charges) -> None:
    """Registered with apps.intents.hooks: the decisions of a page of charges in one query."""
    pks = [c.pk for c in charges if c.pk]
    found = {d.charge_id: d for d in RiskDecision.objects.filter(charge_id__in=pks)} if pks else {}
    for charge in charges:
        charge._risk_decision = found.get(charge.pk)


def review_get(*, merchant, livemode: bool, id: str) -> Review:
    return tenant_get(
        Review.objects.select_related("charge", "payment_intent"), merchant=merchant, livemode=livemode, id=id,
        resource="review",
    )  # fmt: skip


def review_list(*, merchant, livemode: bool) -> QuerySet:
    return Review.objects.filter(merchant=merchant, livemode=livemode).select_related(
        "charge", "payment_intent"
    )


def review_open_for_intent(intent_id: int) -> Review | None:
    return Review.objects.filter(payment_intent_id=intent_id, open=True).first()


def review_queue() -> QuerySet:
    """Open reviews, the authorization expiring first first (the admin's queue)."""
    return (
        Review.objects.filter(open=True)
        .select_related("charge", "payment_intent", "decision", "merchant")
        .order_by("authorization_expires_at", "id")
    )


def overrides_pending() -> QuerySet:
    return Override.objects.filter(status=Override.Status.PENDING_APPROVAL).select_related("merchant")


def early_fraud_warning_get(*, merchant, livemode: bool, id: str):
    from .models import EarlyFraudWarning

    return tenant_get(
        EarlyFraudWarning.objects.select_related("charge", "payment_intent"), merchant=merchant,
        livemode=livemode, id=id, resource="radar.early_fraud_warning",
    )  # fmt: skip


def early_fraud_warning_list(
    *, merchant, livemode: bool, charge: str = "", payment_intent: str = ""
) -> QuerySet:
    from .models import EarlyFraudWarning

    qs = EarlyFraudWarning.objects.filter(merchant=merchant, livemode=livemode).select_related(
        "charge", "payment_intent"
    )
    if charge:
        qs = qs.filter(charge__public_id=charge)
    if payment_intent:
        qs = qs.filter(payment_intent__public_id=payment_intent)
    return qs
