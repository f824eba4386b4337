"""The decision itself: eligibility per capability with its exclusion reason, first-match rules,
the default fallback, pinning, and the volume split (within ±2 % over 10,000 payments, stable per
payment id)."""

import pytest

from apps.connectors import observe
from apps.routing.engine import MAX_ATTEMPTS, PaymentDescription
from apps.routing.services import routing_decide
from tests.routing.factories import rule_set, sandbox


def _decide(merchant, **kw):
    kw.setdefault("amount", 2000)
    kw.setdefault("currency", "USD")
    return routing_decide(merchant=merchant, livemode=False, payment=PaymentDescription(**kw))


def _reasons(decision):
    return {c["connector"]: c["reason"] for c in decision.record["candidates"]}


@pytest.mark.parametrize(
    "capabilities,payment,reason",
    [
        ({"currencies": ["EUR"]}, {}, "currency_not_supported"),
        ({"card_networks": ["mastercard"]}, {"card_brand": "visa"}, "card_network_not_supported"),
        ({"countries": ["DE"]}, {"card_country": "US"}, "country_not_supported"),
        ({"countries": ["DE"]}, {"billing_country": "FR"}, "country_not_supported"),
        ({"min_amount": 5000}, {}, "amount_below_minimum"),
        ({"max_amount": 1000}, {}, "amount_above_maximum"),
        (
            {"payment_method_types": ["card"]},
            {"payment_method_type": "paypal"},
            "payment_method_type_not_supported",
        ),
        ({"manual_capture": False}, {"capture_method": "manual"}, "manual_capture_not_supported"),
    ],
)
def test_each_capability_excludes_with_its_reason(merchant, capabilities, payment, reason):
    narrow = sandbox(merchant, "narrow", capabilities=capabilities)
    wide = sandbox(merchant, "wide")
    decision = _decide(merchant, **payment)
    assert _reasons(decision)[narrow.public_id] == reason
    assert _reasons(decision)[wide.public_id] is None
    assert decision.connector == wide


def test_a_payment_the_narrowed_account_fits_goes_there(merchant):
    eur = sandbox(merchant, "eur", capabilities={"currencies": ["EUR"], "countries": ["DE"]})
    decision = _decide(merchant, currency="EUR", card_country="DE", card_brand="visa")
    assert decision.connector == eur and _reasons(decision)[eur.public_id] is None


def test_disabled_and_circuit_open_are_excluded(merchant):
    from apps.connectors.services import connector_disable
    from tests.routing.factories import ACTOR

    off = sandbox(merchant, "off")
    broken = sandbox(merchant, "broken")
    ok = sandbox(merchant, "ok")
    connector_disable(connector_id=off.pk, actor=ACTOR)
    observe.circuit_open(broken.public_id)
    decision = _decide(merchant)
    reasons = _reasons(decision)
    assert reasons[off.public_id] == "disabled"
    assert reasons[broken.public_id] == "circuit_open"
    assert decision.order == [ok]


def test_first_matching_rule_wins_then_fallback(merchant):
    a, b, c = sandbox(merchant, "a"), sandbox(merchant, "b"), sandbox(merchant, "c")
    rs = rule_set(
        merchant,
        rules=[
            {
                "name": "big_eur",
                "conditions": {"currency": ["EUR"], "amount_gte": 10_000},
                "connectors": [c.public_id],
            },
            {"name": "eur", "conditions": {"currency": ["EUR"]}, "connectors": [b.public_id, a.public_id]},
            {"name": "vip", "conditions": {"metadata": {"vip": None}}, "connectors": [c.public_id]},
        ],
        default_fallback=[a.public_id, c.public_id],
    )
    big = _decide(merchant, currency="EUR", amount=50_000)
    assert big.record["matched_rule"] == "big_eur" and big.order == [c]
    eur = _decide(merchant, currency="EUR", amount=500)
    assert eur.record["matched_rule"] == "eur" and eur.order == [b, a]
    assert eur.record["rules_evaluated"][0] == {
        "rule": "big_eur",
        "matched": False,
        "failed_condition": "amount_gte",
    }
    vip = _decide(merchant, metadata={"vip": "yes"})
    assert vip.record["matched_rule"] == "vip"
    usd = _decide(merchant)
    assert usd.record["matched_by"] == "fallback" and usd.record["matched_rule"] is None
    assert usd.order == [a, c, b][:MAX_ATTEMPTS]
    assert usd.record["rule_set"] == rs.public_id and usd.record["rule_set_version"] == 1


def test_a_matching_rule_with_no_eligible_connector_falls_back(merchant):
    a = sandbox(merchant, "a", capabilities={"currencies": ["USD"]})
    b = sandbox(merchant, "b")
    rule_set(
        merchant, rules=[{"name": "eur", "conditions": {"currency": ["EUR"]}, "connectors": [a.public_id]}]
    )
    decision = _decide(merchant, currency="EUR")
    assert decision.record["matched_rule"] == "eur"
    assert decision.record["matched_by"] == "fallback"
    assert decision.record["fallback_reason"] == "rule_connectors_ineligible"
    assert decision.order == [b]


def test_pinned_connector_is_checked_for_eligibility(merchant):
    a = sandbox(merchant, "a", capabilities={"currencies": ["EUR"]})
    sandbox(merchant, "b")
    assert _decide(merchant, currency="EUR", connector=a.public_id).order == [a]
    refused = _decide(merchant, currency="USD", connector=a.public_id)
    assert refused.order == [] and refused.record["pinned_reason"] == "currency_not_supported"


def test_volume_split_is_within_two_percent_over_10000_payments_and_stable(merchant):
    a, b, c = sandbox(merchant, "a"), sandbox(merchant, "b"), sandbox(merchant, "c")
    rule_set(
        merchant,
        rules=[{"name": "split", "split": [
            {"connector": a.public_id, "weight": 70}, {"connector": b.public_id, "weight": 20},
            {"connector": c.public_id, "weight": 10},
        ]}],
    )  # fmt: skip
    from apps.routing.engine import decide
    from apps.routing.selectors import routing_context

    connectors, snapshot = routing_context(merchant=merchant, livemode=False)
    counts = {a.public_id: 0, b.public_id: 0, c.public_id: 0}
    first = {}
    for i in range(10_000):
        payment = PaymentDescription(amount=1000, currency="USD", payment_id=f"pi_split_{i}")
        record = decide(payment, connectors=connectors, rule_set=snapshot, circuits={}).record
        counts[record["connector"]] += 1
        if i < 50:
            first[i] = (record["connector"], record["split"]["bucket"])
    assert abs(counts[a.public_id] / 10_000 - 0.70) <= 0.02
    assert abs(counts[b.public_id] / 10_000 - 0.20) <= 0.02
    assert abs(counts[c.public_id] / 10_000 - 0.10) <= 0.02
    for i, (connector, bucket) in first.items():
        again = decide(PaymentDescription(amount=1000, currency="USD", payment_id=f"pi_split_{i}"),
                       connectors=connectors, rule_set=snapshot, circuits={}).record  # fmt: skip
        assert (again["connector"], again["split"]["bucket"]) == (connector, bucket)


def test_split_weights_only_count_eligible_members(merchant):
    a, b = sandbox(merchant, "a"), sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "split", "split": [
        {"connector": a.public_id, "weight": 50}, {"connector": b.public_id, "weight": 50}]}])  # fmt: skip
    observe.circuit_open(a.public_id)
    for i in range(20):
        decision = _decide(merchant, payment_id=f"pi_{i}")
        assert decision.order == [b]
        assert decision.record["split"]["excluded"] == [a.public_id]
