"""Backtests over a seeded history of decisions (stored inputs + labels), rule statistics, and
labels from fraudulent disputes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.services import Actor
from apps.risk.models import FraudLabel, RiskDecision
from apps.risk.services import rule_set_version_create
from apps.risk.services.backtest import backtest, rule_stats
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def seed(merchant, charge, *, amount, country, email, action="allow", label=None, age_days=1, rule_id="",
         matched=()):  # fmt: skip
    decision = RiskDecision.objects.create(
        merchant=merchant, livemode=False, charge=charge, action=action, rule_id=rule_id, score=10,
        risk_level="normal", amount=amount, currency="USD", matched_rules=list(matched),
        inputs={"amount": amount, "currency": "usd", "card_country": country, "email": email, "risk_score": 10,
                "risk_level": "normal", "attempts_per_card_fingerprint_10m": 1},
    )  # fmt: skip
    RiskDecision.objects.filter(pk=decision.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    if label:
        FraudLabel.objects.create(decision=decision, label=label, source="review")
    return decision


@pytest.fixture
def history(api, merchant):
    """Ten paid charges, then their decisions replaced by a seeded history: 4 from NG (3 labelled
    fraud, 1 labelled legitimate), 5 from US (1 labelled fraud), one from NG 40 days ago."""
    charges = []
    for _ in range(10):
        body = pay(api, make_card(merchant)).json()
        charges.append(body["latest_charge"])
    from apps.intents.models import Charge

    RiskDecision.objects.all().delete()
    rows = [Charge.objects.get(public_id=c) for c in charges]
    for i, charge in enumerate(rows[:4]):
        seed(
            merchant,
            charge,
            amount=5000 + i,
            country="NG",
            email=f"n{i}@x.io",
            label="fraud" if i < 3 else "not_fraud",
        )
    for i, charge in enumerate(rows[4:9]):
        seed(
            merchant, charge, amount=1000, country="US", email=f"u{i}@x.io", label="fraud" if i == 0 else None
        )
    seed(merchant, rows[9], amount=7000, country="NG", email="old@x.io", label="fraud", age_days=40)
    return rows


def test_backtest_counts_what_a_draft_would_have_done(merchant, history):
    draft = rule_set_version_create(merchant=merchant, livemode=False, actor=ACTOR, rules=[
        {"action": "block", "predicate": ":card_country: = 'ng'"},
        {"action": "review", "predicate": ":amount: >= 1000 and :card_country: = 'us'"},
    ])  # fmt: skip
    result = backtest(rule_set=draft).as_dict()
    assert result["decisions"] == 9  # the 40-day-old one is outside the window
    assert result["would"] == {"block": 4, "review": 5}
    assert result["actual"] == {"allow": 9} and result["changed"] == 9
    assert (result["fraud_caught"], result["fraud_total"], result["legit_stopped"]) == (4, 4, 1)
    assert result["blocked_amount"] == {"USD": 5000 + 5001 + 5002 + 5003}
    assert not draft.is_active  # live traffic untouched


def test_backtest_allow_wins_like_live_traffic(merchant, history):
    draft = rule_set_version_create(merchant=merchant, livemode=False, actor=ACTOR, rules=[
        {"action": "block", "predicate": ":card_country: = 'ng'"},
        {"action": "allow", "predicate": ":email: = 'n3@x.io'"},
    ])  # fmt: skip
    result = backtest(rule_set=draft).as_dict()
    assert result["would"] == {"block": 3, "allow": 6} and result["legit_stopped"] == 0


def test_rule_stats_hits_precision_and_blocked_money(merchant, history):
    RiskDecision.objects.all().delete()
    matched = [{"id": "rule_x", "action": "block", "predicate": ":amount: > 1", "values": {}}]
    for i, charge in enumerate(history[:4]):
        seed(merchant, charge, amount=2000, country="NG", email=f"s{i}@x.io", action="block", rule_id="rule_x",
             matched=matched, label="fraud" if i < 3 else "not_fraud")  # fmt: skip
    stats = rule_stats(merchant_id=merchant.pk, livemode=False)["rule_x"]
    assert stats["hits"] == 4 and stats["labelled"] == 4 and stats["precision"] == 0.75
    assert stats["blocked_amount"] == {"USD": 8000}


def test_a_fraudulent_dispute_labels_the_decision(merchant, api):
    from apps.disputes.models import Dispute
    from apps.intents.models import Charge
    from apps.risk.services.labels import labels_from_disputes

    body = pay(api, make_card(merchant)).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    Dispute.objects.create(
        merchant=merchant,
        livemode=False,
        charge=charge,
        payment_intent=charge.payment_intent,
        amount=2000,
        connector=charge.connector,
        connector_dispute_id="sbxdp_label",
        currency="USD",
        reason=Dispute.Reason.FRAUDULENT,
        status=Dispute.Status.NEEDS_RESPONSE,
    )
    assert labels_from_disputes() == 1
    assert labels_from_disputes() == 0  # idempotent
    assert FraudLabel.objects.get().label == "fraud"
