"""Backtests and rule statistics over stored decisions: what a draft version would have done to
the last 30 days' payments (from their stored inputs, without touching live traffic), and each
rule's hits, labelled precision and the money it blocked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from ..models import FraudLabel, RiskDecision, Rule, RuleSet, ValueListItem
from .engine import CompiledRuleSet, compile_rules, decide_rules

WINDOW = timedelta(days=30)


@dataclass
class BacktestResult:
    version: int | None
    decisions: int = 0
    would: Counter = field(default_factory=Counter)
    actual: Counter = field(default_factory=Counter)
    changed: int = 0
    fraud_caught: int = 0  # labelled fraud the draft blocks or reviews
    fraud_total: int = 0
    legit_stopped: int = 0  # labelled not-fraud the draft blocks
    blocked_amount: dict = field(default_factory=dict)  # currency → minor units the draft blocks

    def as_dict(self) -> dict:
        return {
            "version": self.version, "decisions": self.decisions, "would": dict(self.would),
            "actual": dict(self.actual), "changed": self.changed, "fraud_caught": self.fraud_caught,
            "fraud_total": self.fraud_total, "legit_stopped": self.legit_stopped,
            "blocked_amount": self.blocked_amount,
        }  # fmt: skip


def _members(merchant_id: int, livemode: bool, compiled: CompiledRuleSet) -> frozenset:
    if not compiled.aliases:
        return frozenset()
    rows = ValueListItem.objects.filter(
        merchant_id=merchant_id, livemode=livemode, value_list__alias__in=list(compiled.aliases)
    ).values_list("value_list__alias", "value")
    return frozenset(rows.iterator(chunk_size=2000))


def _labels(decision_ids) -> dict[int, str]:
    labels: dict[int, str] = {}
    for decision_id, label in FraudLabel.objects.filter(decision_id__in=decision_ids).values_list(
        "decision_id", "label"
    ):
        if label == FraudLabel.Label.FRAUD or decision_id not in labels:
            labels[decision_id] = label
    return labels


def backtest(*, rule_set: RuleSet, days: int = 30) -> BacktestResult:
    """Replays the stored inputs of the tenant's decisions of the last `days` through
    `rule_set` (a draft or any version). Overrides and the card-testing guard are left out:
    they are not rules."""
    compiled = compile_rules(Rule.objects.filter(rule_set=rule_set).order_by("position", "id"),
                             pk=rule_set.pk, version=rule_set.version)  # fmt: skip
    members = _members(rule_set.merchant_id, rule_set.livemode, compiled)
    since = timezone.now() - timedelta(days=days)
    result = BacktestResult(version=rule_set.version)
    decisions = RiskDecision.objects.filter(
        merchant_id=rule_set.merchant_id,
        livemode=rule_set.livemode,
        created_at__gte=since,
        charge__isnull=False,
    ).only("id", "action", "inputs", "amount", "currency")
    batch: list[RiskDecision] = []
    for decision in decisions.iterator(chunk_size=1000):
        batch.append(decision)
        if len(batch) >= 1000:
            _replay(batch, compiled, members, result)
            batch = []
    if batch:
        _replay(batch, compiled, members, result)
    return result


def _replay(batch, compiled, members, result: BacktestResult) -> None:
    labels = _labels([d.id for d in batch])
    for decision in batch:
        action, _rule, _matched = decide_rules(compiled, decision.inputs, members)
        result.decisions += 1
        result.would[action] += 1
        result.actual[decision.action] += 1
        if action != decision.action:
            result.changed += 1
        label = labels.get(decision.id)
        if label == FraudLabel.Label.FRAUD:
            result.fraud_total += 1
            if action in ("block", "review"):
                result.fraud_caught += 1
        elif label == FraudLabel.Label.NOT_FRAUD and action == "block":
            result.legit_stopped += 1
        if action == "block":
            result.blocked_amount[decision.currency] = (
                result.blocked_amount.get(decision.currency, 0) + decision.amount
            )


def rule_stats(*, merchant_id: int, livemode: bool, days: int = 30) -> dict[str, dict]:
    """rule id → {hits, decided, fraud, labelled, precision, blocked_amount{currency: minor}}."""
    since = timezone.now() - timedelta(days=days)
    decisions = list(
        RiskDecision.objects.filter(merchant_id=merchant_id, livemode=livemode, created_at__gte=since).only(
            "id", "action", "rule_id", "matched_rules", "amount", "currency"
        )
    )
    labels = _labels([d.id for d in decisions])
    stats: dict[str, dict] = {}
    for decision in decisions:
        for match in decision.matched_rules:
            entry = stats.setdefault(
                match["id"], {"hits": 0, "decided": 0, "fraud": 0, "labelled": 0, "blocked_amount": {}}
            )
            entry["hits"] += 1
            label = labels.get(decision.id)
            if label:
                entry["labelled"] += 1
                entry["fraud"] += label == FraudLabel.Label.FRAUD
        if decision.rule_id and decision.rule_id in stats:
            entry = stats[decision.rule_id]
            entry["decided"] += 1
            if decision.action == "block":
                entry["blocked_amount"][decision.currency] = (
                    entry["blocked_amount"].get(decision.currency, 0) + decision.amount
                )
    for entry in stats.values():
        entry["precision"] = round(entry["fraud"] / entry["labelled"], 3) if entry["labelled"] else None
    return stats
