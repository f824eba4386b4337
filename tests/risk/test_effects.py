"""Every effect of a risk verdict on a payment, through the real confirm path (API, vault,
sandbox acquirer, PostgreSQL, Redis): block, 3DS, review with and without hold, allow > block."""

from unittest import mock

import pytest

from apps.connectors import gateway
from apps.connectors.models import Connector
from apps.intents.models import Charge, PaymentIntent
from apps.risk.models import Review, RiskDecision, RiskSettings
from tests.intents.helpers import make_card, make_customer, pay

pytestmark = pytest.mark.django_db(transaction=False)


def test_block_answers_402_fraudulent_and_never_calls_the_connector(api, merchant, rules):
    rules(("block", ":amount: > 5000"))
    pm = make_card(merchant)
    with mock.patch.object(gateway, "authorize", wraps=gateway.authorize) as authorize:
        response = pay(api, pm, amount=9000)
    assert authorize.call_count == 0
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "fraudulent",
    )
    charge = Charge.objects.get(public_id=error["charge"])
    assert charge.status == Charge.Status.FAILED and charge.gateway_reference == ""
    decision = RiskDecision.objects.get(charge=charge)
    assert decision.action == "block" and decision.rule_set_version == 1
    body = api.get(f"/v1/charges/{charge.public_id}").json()
    assert body["outcome"]["type"] == "blocked"
    assert body["outcome"]["rule"] == decision.rule_id
    assert body["outcome"]["network_status"] == "not_sent_to_network"
    assert body["risk"]["decision"] == decision.public_id
    intent = PaymentIntent.objects.get(pk=charge.payment_intent_id)
    assert intent.status == PaymentIntent.Status.REQUIRES_PAYMENT_METHOD
    assert intent.last_payment_error["decline_code"] == "fraudulent"


def test_a_payment_below_the_rule_goes_through_with_its_decision(api, merchant, rules):
    rules(("block", ":amount: > 5000"))
    response = pay(api, make_card(merchant), amount=1000)
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    charge = Charge.objects.get(public_id=response.json()["latest_charge"])
    decision = RiskDecision.objects.get(charge=charge)
    assert decision.action == "allow" and decision.matched_rules == []
    body = api.get(f"/v1/charges/{charge.public_id}").json()
    assert body["outcome"]["type"] == "authorized" and body["outcome"]["risk_level"] == "normal"


def test_allow_wins_over_block_and_review(api, merchant, rules):
    rules(("block", ":amount: > 100"), ("review", ":amount: > 100"), ("allow", ":currency: = 'usd'"))
    response = pay(api, make_card(merchant), amount=1000)
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    decision = RiskDecision.objects.get(charge__public_id=response.json()["latest_charge"])
    assert decision.action == "allow"
    assert sorted(m["action"] for m in decision.matched_rules) == ["allow", "block", "review"]
    assert not Review.objects.exists()


def test_block_wins_over_review(api, merchant, rules):
    rules(("review", ":amount: > 100"), ("block", ":amount: > 100"))
    assert pay(api, make_card(merchant), amount=1000).status_code == 402


def test_request_3ds_sends_the_payment_through_3d_secure(api, merchant, rules):
    rules(("request_3ds", ":amount: > 100"))
    response = pay(api, make_card(merchant), amount=1000, return_url="https://shop.example/back")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "requires_action"
    assert body["next_action"]["three_d_secure"] is True
    decision = RiskDecision.objects.get(charge__public_id=body["latest_charge"])
    assert decision.action == "request_3ds"


def test_review_with_hold_authorizes_only_and_capture_waits_for_approval(api, merchant, rules):
    rules(("review", ":amount: > 100"))
    response = pay(api, make_card(merchant), amount=1000)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "requires_capture"  # automatic capture, held by the merchant's setting
    review = Review.objects.get(payment_intent__public_id=body["id"])
    assert review.open and review.held and review.public_id.startswith("prv_")
    assert review.authorization_expires_at is not None
    refused = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "payment_under_review"
    charge = api.get(f"/v1/charges/{body['latest_charge']}").json()
    assert charge["outcome"]["type"] == "manual_review"


def test_review_without_hold_captures_then_reviews(api, merchant, rules):
    RiskSettings.objects.create(merchant=merchant, review_capture=RiskSettings.ReviewCapture.CAPTURE)
    rules(("review", ":amount: > 100"))
    body = pay(api, make_card(merchant), amount=1000).json()
    assert body["status"] == "succeeded"
    review = Review.objects.get(payment_intent__public_id=body["id"])
    assert review.open and not review.held


def test_review_of_a_manual_capture_payment_holds_it(api, merchant, rules):
    rules(("review", ":amount: > 100"))
    body = pay(api, make_card(merchant), amount=1000, capture_method="manual").json()
    assert body["status"] == "requires_capture"
    assert Review.objects.get(payment_intent__public_id=body["id"]).held


def test_value_list_rule_blocks_the_listed_email(api, merchant, rules, value_list):
    value_list("blocked_emails", "fraud@example.com", item_type="email")
    rules(("block", ":email: in @blocked_emails"))
    customer = make_customer(merchant, email="Fraud@example.com")
    pm = make_card(merchant, customer=customer)
    blocked = pay(api, pm, customer=customer.public_id)
    assert blocked.status_code == 402 and blocked.json()["error"]["decline_code"] == "fraudulent"
    decision = RiskDecision.objects.get(charge__public_id=blocked.json()["error"]["charge"])
    assert decision.matched_rules[0]["values"] == {"email": "fraud@example.com"}
    assert any(c["component"] == "list_hits" for c in decision.components)
    other = make_customer(merchant, email="fine@example.com")
    assert pay(api, make_card(merchant, customer=other), customer=other.public_id).status_code == 200


def test_missing_attribute_does_not_match_unless_asked(api, merchant, rules):
    # no IP country is known for an API payment: the comparison is unknown, the rule does not match
    rules(("block", ":ip_country: != 'us'"))
    assert pay(api, make_card(merchant)).status_code == 200
    rules(("block", "is_missing(:ip_country:)"))
    assert pay(api, make_card(merchant)).status_code == 402


def test_no_rule_set_still_records_a_decision(api, merchant):
    body = pay(api, make_card(merchant)).json()
    decision = RiskDecision.objects.get(charge__public_id=body["latest_charge"])
    assert (
        decision.action == "allow" and decision.rule_set_version is None and decision.risk_level == "normal"
    )
    assert Connector.objects.filter(merchant=merchant).exists()


def test_a_stale_pointer_is_rebuilt_from_the_database(api, merchant, rules):
    from apps.risk import store

    rules(("block", ":amount: > 5000"))
    # Redis names a version this merchant does not have (e.g. Redis outlived a database restore)
    store.put(store.pointer_key(merchant.pk, False), {"rule_set": 987654321, "elevated": 65, "highest": 75,
                                                      "hold": True, "ct": [5, 600, 3600]})  # fmt: skip
    assert pay(api, make_card(merchant), amount=9000).status_code == 402


def test_without_redis_the_payment_is_still_evaluated(api, merchant, rules):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from apps.risk import store

    rules(("block", ":amount: > 5000"), ("block", ":attempts_per_card_fingerprint_10m: > 0"))
    with mock.patch.object(store, "evaluate_round_trip", side_effect=RedisConnectionError("down")):
        small = pay(api, make_card(merchant), amount=1000)
        big = pay(api, make_card(merchant), amount=9000)
    assert small.status_code == 200  # the velocity rule is unknown without counters: no match
    assert big.status_code == 402
    decision = RiskDecision.objects.get(charge__public_id=small.json()["latest_charge"])
    assert decision.inputs["degraded"] == "redis_unavailable"
