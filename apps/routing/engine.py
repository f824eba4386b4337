"""The routing decision, as a pure function of a payment description, the merchant's connector
accounts, the active rule-set version and the circuit states.

Order of decision (the same for a real confirm and for ``POST /v1/routing/evaluate``):

1. every connector account of the merchant in this mode is a candidate; each is checked for
   eligibility and, if excluded, gets its reason (``disabled``, ``circuit_open``,
   ``currency_not_supported``, …);
2. a pinned connector (``routing[connector]``) is the only choice, and must be eligible;
3. otherwise the rules, in order: the first whose conditions all hold decides — a priority
   list (failover in its order) or a volume split (weights over the *eligible* members; the
   bucket is a hash of the payment id, so a retry of the same payment lands in the same bucket);
4. no rule matched, or none of the matching rule's connectors is eligible: the default fallback
   (the rule set's ``default_fallback`` order, then every other eligible account, default account
   first, then oldest first).

At most ``MAX_ATTEMPTS`` connectors are tried in one confirm (failover on retryable declines).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apps.connectors.capabilities import PaymentShape
from apps.connectors.selectors import connector_exclusion

MAX_ATTEMPTS = 3
BUCKETS = 10_000
RECORD_SCHEMA = 1


@dataclass(frozen=True)
class PaymentDescription:
    """What routing knows of a payment: the plain fields a payment intent carries."""

    amount: int
    currency: str
    payment_method_type: str = "card"
    card_brand: str = ""
    card_country: str = ""
    billing_country: str = ""
    capture_method: str = "automatic"
    metadata: Mapping[str, str] = field(default_factory=dict)
    payment_id: str = ""  # pi_…: the split bucket's seed
    connector: str = ""  # a pinned connector (routing[connector])
    three_d_secure_required: bool = False
    card_token_provider: str = ""  # a provider-tokenized card: only that provider's accounts

    def shape(self) -> PaymentShape:
        return PaymentShape(
            amount=self.amount,
            currency=self.currency.upper(),
            payment_method_type=self.payment_method_type or "card",
            card_brand=self.card_brand,
            country=(self.card_country or self.billing_country or "").upper(),
            capture_method=self.capture_method,
            three_d_secure_required=self.three_d_secure_required,
            card_token_provider=self.card_token_provider,
        )


@dataclass
class Decision:
    """The outcome: the ordered eligible connectors (``order[0]`` is chosen) and the record
    stored on the charge."""

    order: list  # Connector rows, attempt order
    record: dict

    @property
    def connector(self):
        return self.order[0] if self.order else None


def _failed_condition(conditions: Mapping[str, Any], payment: PaymentDescription) -> str | None:
    """The first condition of a rule the payment does not meet (None: the rule matches)."""
    values = {
        "currency": payment.currency.upper(),
        "payment_method_type": (payment.payment_method_type or "card").lower(),
        "card_brand": payment.card_brand.lower(),
        "card_country": payment.card_country.upper(),
        "billing_country": payment.billing_country.upper(),
    }
    for key, expected in conditions.items():
        if key in values:
            if values[key] not in expected:
                return key
        elif key == "amount_gte":
            if payment.amount < expected:
                return key
        elif key == "amount_lte":
            if payment.amount > expected:
                return key
        elif key == "capture_method":
            if payment.capture_method != expected:
                return key
        elif key == "metadata":
            for name, wanted in expected.items():
                if name not in payment.metadata or (wanted is not None and payment.metadata[name] != wanted):
                    return f"metadata[{name}]"
    return None


def split_bucket(payment_id: str, salt: str) -> int:
    digest = hashlib.sha256(f"{payment_id}|{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def _split_order(entries: Sequence[Mapping[str, Any]], bucket: int) -> list[str]:
    """The member the bucket falls on, then the others by weight (heaviest first)."""
    total = sum(e["weight"] for e in entries)
    point = bucket * total // BUCKETS
    chosen, cumulative = entries[-1]["connector"], 0
    for entry in entries:
        cumulative += entry["weight"]
        if point < cumulative:
            chosen = entry["connector"]
            break
    rest = sorted((e for e in entries if e["connector"] != chosen), key=lambda e: -e["weight"])
    return [chosen, *(e["connector"] for e in rest)]


def decide(
    payment: PaymentDescription,
    *,
    connectors: Sequence,
    rule_set: Mapping[str, Any] | None,
    circuits: Mapping[str, str],
) -> Decision:
    """The routing decision (see the module docstring). ``rule_set``: the version snapshot
    ``{"id", "version", "rules", "default_fallback"}`` or None."""
    shape = payment.shape()
    by_id = {c.public_id: c for c in connectors}
    candidates, eligible = [], set()
    for connector in connectors:
        circuit = circuits.get(connector.public_id, "closed")
        reason = connector_exclusion(connector, shape, circuit=circuit)
        candidates.append(
            {"connector": connector.public_id, "type": connector.code, "label": connector.name,
             "eligible": reason is None, "reason": reason, "circuit": circuit}
        )  # fmt: skip
        if reason is None:
            eligible.add(connector.public_id)
    record: dict[str, Any] = {
        "schema": RECORD_SCHEMA,
        "rule_set": rule_set["id"] if rule_set else None,
        "rule_set_version": rule_set["version"] if rule_set else None,
        "matched_rule": None,
        "matched_by": None,
        "strategy": "priority",
        "split": None,
        "rules_evaluated": [],
        "candidates": candidates,
        "order": [],
        "connector": None,
        "attempt": 1,
        "max_attempts": MAX_ATTEMPTS,
        "failover": None,
        "decided_at": int(time.time()),
    }
    order: list[str] = []
    if payment.connector:
        record["matched_by"] = "pinned"
        order = [payment.connector] if payment.connector in eligible else []
        if payment.connector not in by_id:
            record["pinned_reason"] = "connector_missing"
        elif not order:
            record["pinned_reason"] = next(
                c["reason"] for c in candidates if c["connector"] == payment.connector
            )
    else:
        for rule in (rule_set or {}).get("rules", []):
            failed = _failed_condition(rule.get("conditions", {}), payment)
            record["rules_evaluated"].append(
                {"rule": rule["name"], "matched": failed is None, "failed_condition": failed}
            )
            if failed is not None:
                continue
            record["matched_rule"] = rule["name"]
            if "split" in rule:
                members = [e for e in rule["split"] if e["connector"] in eligible]
                if members:
                    bucket = split_bucket(
                        payment.payment_id or _anonymous_seed(payment), f"{record['rule_set']}:{rule['name']}"
                    )
                    order = _split_order(members, bucket)
                    record["strategy"] = "volume_split"
                    record["split"] = {
                        "bucket": bucket,
                        "of": BUCKETS,
                        "weights": {e["connector"]: e["weight"] for e in members},
                        "excluded": [e["connector"] for e in rule["split"] if e["connector"] not in eligible],
                    }
            else:
                order = [c for c in rule["connectors"] if c in eligible]
            if order:
                record["matched_by"] = "rule"
            else:
                record["fallback_reason"] = "rule_connectors_ineligible"
            break
        if not order:
            record["matched_by"] = "fallback"
            record["strategy"] = "priority"
            listed = [c for c in (rule_set or {}).get("default_fallback", []) if c in eligible]
            others = [
                c.public_id for c in connectors if c.public_id in eligible and c.public_id not in listed
            ]
            order = listed + others
    order = order[:MAX_ATTEMPTS]
    record["order"] = order
    record["connector"] = order[0] if order else None
    return Decision(order=[by_id[c] for c in order], record=record)


def _anonymous_seed(payment: PaymentDescription) -> str:
    # A dry run without a payment id still answers deterministically for the same description.
    return f"{payment.amount}|{payment.currency}|{payment.payment_method_type}|{sorted(payment.metadata.items())}"


def failover_record(
    decision_record: Mapping[str, Any], *, attempt: int, previous_charge: str, reason: str, code: str
) -> dict:
    """The decision record of the next attempt: the same decision, moved along its order."""
    record = dict(decision_record)
    previous = record["order"][attempt - 2]
    record["attempt"] = attempt
    record["connector"] = record["order"][attempt - 1]
    record["failover"] = {
        "previous_charge": previous_charge,
        "previous_connector": previous,
        "reason": reason,
        "code": code,
    }
    record["decided_at"] = int(time.time())
    return record
