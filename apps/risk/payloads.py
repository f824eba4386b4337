"""The public shape of risk objects (API, events) and risk's part of a charge's shape."""

from __future__ import annotations

from apps.core.payloads import unix

from .models import Review, RiskDecision, Rule, RuleSet, ValueList, ValueListItem


def decision_to_dict(decision: RiskDecision) -> dict:
    return {
        "id": decision.public_id,
        "object": "risk.decision",
        "action": decision.action,
        "source": decision.source,
        "rule": decision.rule_id or None,
        "rule_set_version": decision.rule_set_version,
        "matched_rules": decision.matched_rules,
        "risk_score": decision.score,
        "risk_level": decision.risk_level,
        "score_components": decision.components,
        "inputs": decision.inputs,
        "amount": decision.amount,
        "currency": decision.currency.lower(),
        "charge": decision.charge.public_id if decision.charge_id else None,
        "payment_intent": decision.payment_intent.public_id if decision.payment_intent_id else None,
        "created": unix(decision.created_at),
        "livemode": decision.livemode,
    }


def risk_summary(decision: RiskDecision) -> dict:
    """The charge's documented `risk` field: what risk decided and why, without the inputs."""
    return {
        "decision": decision.public_id,
        "action": decision.action,
        "source": decision.source,
        "rule_set_version": decision.rule_set_version,
        "matched_rules": [{"id": m["id"], "action": m["action"]} for m in decision.matched_rules],
        "risk_score": decision.score,
        "risk_level": decision.risk_level,
        "score_components": decision.components,
    }


def charge_payload_extend(charge, body: dict) -> None:
    """Registered with apps.intents.hooks: Stripe's `outcome` (type, risk_level, risk_score,
    rule) from the attempt's decision, and the full `risk` field."""
    from .selectors import decision_for_charge
    from .services.engine import outcome_of

    decision = decision_for_charge(charge) if charge.pk else None
    if decision is None:
        body["risk"] = None
        return
    outcome = body.setdefault("outcome", {})
    acquirer = (outcome.get("risk_score"), outcome.get("risk_level"))
    risk = outcome_of(decision)
    outcome.update(risk_level=risk["risk_level"], risk_score=risk["risk_score"], rule=risk["rule"])
    if decision.action == "block":
        outcome.update(type="blocked", reason=risk["reason"], seller_message=risk["seller_message"])
    elif decision.action == "review" and outcome.get("type") == "authorized":
        outcome.update(type="manual_review", seller_message=risk["seller_message"])
    body["risk"] = {
        **risk_summary(decision),
        "acquirer_risk_score": acquirer[0],
        "acquirer_risk_level": acquirer[1],
    }


def review_to_dict(review: Review) -> dict:
    return {
        "id": review.public_id,
        "object": "review",
        "charge": review.charge.public_id,
        "payment_intent": review.payment_intent.public_id,
        "open": review.open,
        "opened_reason": review.opened_reason,
        "closed_reason": review.closed_reason or None,
        "reason": review.reason,
        "held": review.held,
        "authorization_expires_at": unix(review.authorization_expires_at),
        "ip_address": (review.decision.inputs.get("ip_address") if review.decision_id else None),
        "created": unix(review.created_at),
        "livemode": review.livemode,
    }


def rule_to_dict(rule: Rule, rule_set: RuleSet) -> dict:
    return {
        "id": rule.rule_id,
        "object": "risk.rule",
        "action": rule.action,
        "predicate": rule.predicate,
        "description": rule.description or None,
        "enabled": rule.enabled,
        "warnings": rule.warnings,
        "rule_set_version": rule_set.version,
        "active": rule_set.is_active,
        "livemode": rule_set.livemode,
    }


def value_list_to_dict(value_list: ValueList, items: list[ValueListItem] | None = None) -> dict:
    body = {
        "id": value_list.public_id,
        "object": "radar.value_list",
        "alias": value_list.alias,
        "name": value_list.name,
        "item_type": value_list.item_type,
        "created": unix(value_list.created_at),
        "created_by": value_list.created_by,
        "metadata": value_list.metadata or {},
        "livemode": value_list.livemode,
    }
    if items is not None:
        body["list_items"] = {
            "object": "list",
            "data": [value_list_item_to_dict(item) for item in items],
            "has_more": False,
            "url": f"/v1/radar/value_list_items?value_list={value_list.public_id}",
        }
    return body


def value_list_item_to_dict(item: ValueListItem) -> dict:
    return {
        "id": item.public_id,
        "object": "radar.value_list_item",
        "value": item.value,
        "value_list": item.value_list.public_id,
        "created": unix(item.created_at),
        "created_by": item.created_by,
        "livemode": item.livemode,
    }


def early_fraud_warning_to_dict(warning) -> dict:
    """Stripe's ``radar.early_fraud_warning``."""
    return {
        "id": warning.public_id,
        "object": "radar.early_fraud_warning",
        "actionable": warning.actionable,
        "charge": warning.charge.public_id,
        "created": unix(warning.created_at),
        "fraud_type": warning.fraud_type,
        "livemode": warning.livemode,
        "payment_intent": warning.payment_intent.public_id,
    }
