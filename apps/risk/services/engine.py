"""Evaluating a payment: attributes, score, rules, overrides and the guard → one decision.

Hot path per confirm (``risk_pre_authorization``): one Redis round trip (pointer, counters,
overrides, guards), at most one SELECT (the value-list items among this payment's values, only
when the active version uses lists) and the decision's INSERT. The compiled rule-set version
is cached in the process by its id (versions are immutable).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from redis.exceptions import RedisError

from apps.core.sql import insert_now_or_later
from apps.intents.hooks import PaymentContext, Verdict
from apps.intents.models import Charge, PaymentIntent

from .. import store
from ..cache import list_items_cached
from ..models import RiskDecision, RiskSettings, Rule, RuleSet, ValueListItem
from ..rules import compile_predicate, list_probes, parse

ACTION_ORDER = ("request_3ds", "allow", "block", "review")


@dataclass(frozen=True)
class CompiledRule:
    rule_id: str
    action: str
    predicate: str
    fn: object
    attributes: tuple
    probes: tuple


@dataclass(frozen=True)
class CompiledRuleSet:
    pk: int | None
    version: int | None
    rules: tuple
    aliases: frozenset


EMPTY = CompiledRuleSet(pk=None, version=None, rules=(), aliases=frozenset())
_COMPILED: OrderedDict[tuple, CompiledRuleSet] = OrderedDict()
_LOCK = threading.Lock()
_FX: dict[str, tuple[float, object]] = {}


def compile_rules(rules, *, pk=None, version=None) -> CompiledRuleSet:
    compiled = []
    aliases: set[str] = set()
    for rule in rules:
        if not rule.enabled:
            continue
        node = parse(rule.predicate)
        probes = tuple(list_probes(node))
        aliases.update(alias for alias, _ in probes)
        from ..rules import attributes_of

        compiled.append(
            CompiledRule(
                rule_id=rule.rule_id, action=rule.action, predicate=rule.predicate,
                fn=compile_predicate(node), attributes=tuple(sorted(attributes_of(node))), probes=probes,
            )
        )  # fmt: skip
    return CompiledRuleSet(pk=pk, version=version, rules=tuple(compiled), aliases=frozenset(aliases))


def compiled_rule_set(pk: int | None, *, merchant_id: int, livemode: bool) -> CompiledRuleSet | None:
    """The compiled version `pk` of this tenant; None when the pointer names a version this
    tenant does not have (a stale pointer: Redis outlived the database it was written for)."""
    if pk is None:
        return EMPTY
    key = (pk, merchant_id, livemode)
    with _LOCK:
        found = _COMPILED.get(key)
        if found is not None:
            _COMPILED.move_to_end(key)
            return found
    rule_set = RuleSet.objects.filter(pk=pk, merchant_id=merchant_id, livemode=livemode).first()
    if rule_set is None:
        return None
    compiled = compile_rules(
        Rule.objects.filter(rule_set_id=pk).order_by("position", "id"), pk=pk, version=rule_set.version
    )
    with _LOCK:
        _COMPILED[key] = compiled
        while len(_COMPILED) > 512:
            _COMPILED.popitem(last=False)
    return compiled


# --- the pointer (active version + thresholds), rebuilt from the database when Redis lost it ---


def pointer_value(merchant_id: int, livemode: bool) -> dict:
    active = RuleSet.objects.filter(merchant_id=merchant_id, livemode=livemode, is_active=True).first()
    settings = RiskSettings.objects.filter(merchant_id=merchant_id).first() or RiskSettings(
        merchant_id=merchant_id
    )
    return {
        "rule_set": active.pk if active else None,
        "elevated": settings.elevated_threshold,
        "highest": settings.highest_threshold,
        "hold": settings.review_capture == RiskSettings.ReviewCapture.HOLD,
        "ct": [
            settings.card_testing_declines,
            settings.card_testing_window_seconds,
            settings.card_testing_block_seconds,
        ],
    }


def pointer_rebuild(merchant_id: int, livemode: bool) -> dict:
    """Writes the pointer, the active overrides and the live guards of a tenant back to Redis."""
    from ..models import CardTestingBlock, Override

    value = pointer_value(merchant_id, livemode)
    items = [(store.pointer_key(merchant_id, livemode), value, None)]
    now = timezone.now()
    for override in Override.objects.filter(
        merchant_id=merchant_id, livemode=livemode, status=Override.Status.ACTIVE
    ):
        if override.expires_at and override.expires_at <= now:
            continue
        seconds = int((override.expires_at - now).total_seconds()) if override.expires_at else None
        items.append(
            (store.override_key(merchant_id, livemode, override.kind, override.value),
             {"id": override.public_id, "effect": override.effect}, seconds)
        )  # fmt: skip
    for block in CardTestingBlock.objects.filter(
        merchant_id=merchant_id, livemode=livemode, lifted_at__isnull=True, blocked_until__gt=now
    ):
        items.append(
            (store.guard_key(merchant_id, livemode, block.kind, block.value), {"id": block.public_id},
             max(1, int((block.blocked_until - now).total_seconds())))
        )  # fmt: skip
    store.put_many(items)
    return value


# --- attributes ------------------------------------------------------------------------------


def amount_in_usd(amount: int, currency: str) -> int | None:
    currency = currency.upper()
    if currency == "USD":
        return amount
    cached = _FX.get(currency)
    if cached is None or cached[0] < time.monotonic():
        from apps.ledger.fx import convert
        from apps.ledger.selectors import exchange_rate_find

        found = exchange_rate_find(base=currency, quote="USD")
        rate = found.rate if found is not None else None
        _FX[currency] = (time.monotonic() + 600, rate)
        cached = _FX[currency]
    rate = cached[1]
    if rate is None:
        return None
    from apps.ledger.fx import convert

    return convert(amount, rate=rate, source=currency, target="USD")


def attributes_for(context: PaymentContext, counts: dict, extra: dict | None = None) -> dict:
    """The rule attributes of a payment context (missing ones are absent or None)."""
    email = (context.email or "").lower() or None
    values = {
        "amount": context.amount,
        "amount_in_usd": amount_in_usd(context.amount, context.currency),
        "currency": context.currency.lower(),
        "payment_method_type": context.payment_method_type,
        "card_brand": context.card_brand,
        "card_funding": context.card_funding,
        "card_country": context.card_country,
        "card_bin": context.card_bin,
        "card_fingerprint": context.card_fingerprint,
        "is_3d_secure": bool(context.three_d_secure_requested),
        "billing_country": context.billing_country,
        "ip_address": context.ip_address,
        "email": email,
        "email_domain": email.rsplit("@", 1)[-1] if email and "@" in email else None,
        "customer": context.customer,
        "customer_age_days": (
            (timezone.now() - context.customer_created_at).days if context.customer_created_at else None
        ),
        "is_off_session": bool(context.off_session),
    }
    for key, value in (context.metadata or {}).items():
        values[f"metadata.{key}"] = str(value)
    values.update(counts)
    for name, value in (extra or {}).items():
        if value is not None:
            values[name] = value
    return values


def dims_for(context: PaymentContext, values: dict) -> dict:
    return {
        "card_fingerprint": values.get("card_fingerprint"),
        "email": values.get("email"),
        "ip_address": values.get("ip_address"),
        "customer": values.get("customer"),
        "payment": context.payment_intent or None,
    }


# --- the score -------------------------------------------------------------------------------


def score_components(values: dict, list_hits: list) -> list[dict]:
    """Explainable, weighted parts of the score; each names its inputs and its contribution."""
    parts = []

    def part(name: str, points: int, why: str) -> None:
        parts.append({"component": name, "points": points, "detail": why})

    attempts = values.get("attempts_per_card_fingerprint_1h", 0) or 0
    if attempts > 3:
        part("velocity", min(30, 6 * (attempts - 3)), f"{attempts} attempts with this card in the last hour")
    declines = values.get("declines_per_card_fingerprint_24h", 0) or 0
    if declines:
        part("declines", min(30, 10 * declines), f"{declines} declines with this card in 24 h")
    ip_declines = values.get("declines_per_ip_address_1h", 0) or 0
    if ip_declines >= 2:
        part("ip_declines", min(20, 5 * ip_declines), f"{ip_declines} declines from this IP in the last hour")
    card, ip, billing = values.get("card_country"), values.get("ip_country"), values.get("billing_country")
    if card and ip and card.lower() != ip.lower():
        part("ip_country_mismatch", 15, f"card issued in {card}, IP in {ip}")
    if card and billing and card.lower() != billing.lower():
        part("billing_country_mismatch", 10, f"card issued in {card}, billing address in {billing}")
    if list_hits:
        part("list_hits", 25, "on " + ", ".join(f"@{alias}" for alias, _ in sorted(list_hits)))
    if values.get("card_funding") == "prepaid":
        part("prepaid_card", 5, "prepaid card")
    if values.get("customer_age_days") == 0:
        part("new_customer", 5, "customer created today")
    acquirer = values.get("acquirer_risk_score")
    if acquirer is not None:
        part("acquirer_score", int(acquirer) // 4, f"the acquirer scored {acquirer}")
    return parts


def risk_level_for(score: int, pointer: dict) -> str:
    if score >= pointer["highest"]:
        return "highest"
    if score >= pointer["elevated"]:
        return "elevated"
    return "normal"


# --- deciding ----------------------------------------------------------------------------------


@dataclass
class Evaluation:
    action: str
    source: str
    rule_id: str
    matched: list
    score: int
    risk_level: str
    components: list
    inputs: dict
    rule_set: CompiledRuleSet
    pointer: dict
    hold: bool
    override: dict | None = None
    guard: dict | None = None
    extra: dict = field(default_factory=dict)


def members_for(merchant_id: int, livemode: bool, compiled: CompiledRuleSet, values: dict) -> frozenset:
    """The (alias, value) pairs the lists hold among this payment's probed values: one query."""
    wanted: dict[str, set[str]] = {}
    for rule in compiled.rules:
        for alias, getter in rule.probes:
            value = getter(values)
            if value is not None:
                wanted.setdefault(alias, set()).add(str(value))
    if not wanted:
        return frozenset()
    cached = list_items_cached(merchant_id, livemode, compiled.aliases)
    if cached is not None:
        return frozenset(
            (alias, value)
            for alias, values in wanted.items()
            for value in values
            if value in cached.get(alias, ())
        )
    all_values = set().union(*wanted.values())
    rows = ValueListItem.objects.filter(
        merchant_id=merchant_id,
        livemode=livemode,
        value_list__alias__in=list(wanted),
        value__in=list(all_values),
    ).values_list("value_list__alias", "value")
    return frozenset((alias, value) for alias, value in rows if value in wanted.get(alias, ()))


def decide_rules(compiled: CompiledRuleSet, values: dict, members: frozenset) -> tuple[str, str, list]:
    """Radar's order: request_3ds rules, then allow, block, review; allow wins over block and
    review. Returns (action, deciding rule id, every matched rule with its inputs)."""
    matched = []
    for rule in compiled.rules:
        if rule.fn(values, members) is True:
            matched.append(
                {"id": rule.rule_id, "action": rule.action, "predicate": rule.predicate,
                 "values": {name: _jsonable(values.get(name)) for name in rule.attributes}}
            )  # fmt: skip
    first = {}
    for item in matched:
        first.setdefault(item["action"], item["id"])
    if "allow" in first:
        action, rule_id = (
            ("request_3ds", first["request_3ds"]) if "request_3ds" in first else ("allow", first["allow"])
        )
    elif "block" in first:
        action, rule_id = "block", first["block"]
    elif "review" in first:
        action, rule_id = "review", first["review"]
    elif "request_3ds" in first:
        action, rule_id = "request_3ds", first["request_3ds"]
    else:
        action, rule_id = "allow", ""
    return action, rule_id, matched


def _jsonable(value):
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def evaluate(context: PaymentContext, *, count_attempt: bool = True, extra: dict | None = None,
             compiled: CompiledRuleSet | None = None) -> Evaluation:  # fmt: skip
    """Everything but the stored record. `compiled`: a draft to evaluate instead of the active
    version (backtests pass stored inputs through `evaluate_values` instead)."""
    base = attributes_for(context, {}, extra)
    dims = dims_for(context, base)
    tenant = {"merchant_id": context.merchant_id, "livemode": context.livemode}
    try:
        trip = store.evaluate_round_trip(**tenant, dims=dims, count_attempt=count_attempt)
        if trip["pointer"] is None:
            # A cold or flushed Redis: the pointer, overrides and guards come back from the
            # database, then are read again (this attempt is already counted).
            pointer_rebuild(**tenant)
            trip = store.evaluate_round_trip(**tenant, dims=dims, count_attempt=False)
    except RedisError:
        # Without Redis the payment is still evaluated, on the database's state: velocity counts
        # are missing (rules on them are unknown) and the decision says so.
        trip = {"pointer": pointer_value(**tenant), "counts": {}, "overrides": {}, "guards": {},
                "degraded": "redis_unavailable"}  # fmt: skip
    pointer = trip["pointer"] or pointer_value(**tenant)
    values = {**base, **trip["counts"]}
    if compiled is None:
        compiled = compiled_rule_set(pointer.get("rule_set"), **tenant)
        if compiled is None:
            pointer = pointer_rebuild(**tenant)
            compiled = compiled_rule_set(pointer.get("rule_set"), **tenant) or EMPTY
    evaluation = evaluate_values(values, compiled, pointer, context.merchant_id, context.livemode)
    if trip.get("degraded"):
        evaluation.inputs["degraded"] = trip["degraded"]
    return _apply_overrides(evaluation, trip)


def evaluate_values(values: dict, compiled: CompiledRuleSet, pointer: dict, merchant_id: int, livemode: bool,
                    members: frozenset | None = None) -> Evaluation:  # fmt: skip
    if members is None:
        members = members_for(merchant_id, livemode, compiled, values) if compiled.aliases else frozenset()
    components = score_components(values, list(members))
    score = max(0, min(100, sum(p["points"] for p in components)))
    level = risk_level_for(score, pointer)
    values = {**values, "risk_score": score, "risk_level": level}
    action, rule_id, matched = decide_rules(compiled, values, members)
    return Evaluation(
        action=action, source=RiskDecision.Source.RULE if rule_id else RiskDecision.Source.DEFAULT,
        rule_id=rule_id, matched=matched, score=score, risk_level=level, components=components,
        inputs={k: _jsonable(v) for k, v in values.items() if v is not None}, rule_set=compiled,
        pointer=pointer, hold=bool(pointer.get("hold")),
    )  # fmt: skip


def _apply_overrides(evaluation: Evaluation, trip: dict) -> Evaluation:
    overrides = trip["overrides"]
    # A payment override beats the others; then an allow anywhere beats a block.
    chosen = overrides.get("payment")
    if chosen is None:
        allows = [o for o in overrides.values() if o.get("effect") == "allow"]
        chosen = allows[0] if allows else next(iter(overrides.values()), None)
    if chosen is not None:
        evaluation.override = chosen
        evaluation.action = "allow" if chosen["effect"] == "allow" else "block"
        evaluation.source = RiskDecision.Source.OVERRIDE
        evaluation.rule_id = ""
        return evaluation
    if trip["guards"]:
        kind, guard = next(iter(trip["guards"].items()))
        evaluation.guard = {"kind": kind, **guard}
        evaluation.action = "block"
        evaluation.source = RiskDecision.Source.GUARD
        evaluation.rule_id = ""
    return evaluation


def decision_record(evaluation: Evaluation, context: PaymentContext, *, started: float) -> RiskDecision:
    decision = RiskDecision(
        merchant_id=context.merchant_id,
        livemode=context.livemode,
        charge_id=context.charge_pk,
        payment_intent_id=context.payment_intent_pk,
        rule_set_id=evaluation.rule_set.pk,
        rule_set_version=evaluation.rule_set.version,
        action=evaluation.action,
        source=evaluation.source,
        rule_id=evaluation.rule_id,
        matched_rules=evaluation.matched,
        score=evaluation.score,
        risk_level=evaluation.risk_level,
        components=evaluation.components,
        inputs={**evaluation.inputs, **({"override": evaluation.override} if evaluation.override else {}),
                **({"card_testing_guard": evaluation.guard} if evaluation.guard else {})},
        amount=context.amount,
        currency=context.currency.upper(),
        evaluation_us=int((time.perf_counter() - started) * 1_000_000),
    )  # fmt: skip
    # The attempt's rows may be in the statement being collected (create+confirm, PostgreSQL):
    # then this row joins it, pointing at them; the ORM path has their ids and writes now.
    refs = {}
    if context.charge_pk is None:
        refs["charge_id"] = Charge
    if context.payment_intent_pk is None:
        refs["payment_intent_id"] = PaymentIntent
    insert_now_or_later(decision, refs=refs, then=lambda: remember(decision.charge_id, decision))
    return decision


def outcome_of(decision: RiskDecision) -> dict:
    """The charge's Stripe `outcome` fields from risk (type filled for blocked/review)."""
    outcome = {
        "risk_level": decision.risk_level,
        "risk_score": decision.score,
        "rule": decision.rule_id or None,
    }
    if decision.action == "block":
        outcome.update(type="blocked", reason="highest_risk_level" if decision.risk_level == "highest" else "rule",
                       seller_message="Clearhouse risk blocked this payment.")  # fmt: skip
    elif decision.action == "review":
        outcome.update(type="manual_review", seller_message="Clearhouse risk placed this payment in review.")
    return outcome


def risk_pre_authorization(context: PaymentContext) -> Verdict:
    """The check registered with apps.intents.hooks: evaluate, store the decision, answer."""
    started = time.perf_counter()
    evaluation = evaluate(context)
    decision = decision_record(evaluation, context, started=started)
    return Verdict(
        action=evaluation.action,
        hold=evaluation.hold or context.capture_method == "manual",
        decision=decision.public_id,
        outcome=outcome_of(decision),
        private={"ct": evaluation.pointer.get("ct"), "hold": evaluation.hold},
    )


# Decisions of this process's recent attempts, by charge pk: the charge payload of the same
# request (step 3's events) reads it without a query. Decisions are never changed.
_RECENT: OrderedDict[int, RiskDecision] = OrderedDict()


def remember(charge_pk: int | None, decision: RiskDecision) -> None:
    if charge_pk is None:
        return
    with _LOCK:
        _RECENT[charge_pk] = decision
        while len(_RECENT) > 1024:
            _RECENT.popitem(last=False)


def recent(charge_pk: int) -> RiskDecision | None:
    with _LOCK:
        return _RECENT.get(charge_pk)


def review_deadline(charge) -> object:
    return charge.authorization_expires_at or (timezone.now() + timedelta(days=7))
