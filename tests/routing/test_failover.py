"""Failover within a confirm, end to end through the API with two sandbox accounts: a retryable
decline moves to the next connector (two decision records), a do-not-retry decline does not,
a timeout is looked up before anything else is tried, and no payment is ever authorized twice
across connectors — under injected timeouts and a crash between attempts (the janitor finishes)."""

from datetime import timedelta

import pytest

from apps.audit.services import Actor
from apps.connectors.models import SandboxTransaction
from apps.intents import services as intents
from apps.intents.models import Charge, PaymentIntent
from tests.intents.helpers import pay
from tests.routing.factories import rule_set, sandbox

DECLINED_BY_ISSUER = "4000000000000002"  # generic_decline at every acquirer
STOLEN = "4000000000009979"


def _authorizations(intent_id: str) -> list[SandboxTransaction]:
    keys = [f"{c.public_id}:authorize" for c in Charge.objects.filter(payment_intent__public_id=intent_id)]
    return list(
        SandboxTransaction.objects.filter(idempotency_key__in=keys, operation="authorize", status="approved")
    )


@pytest.fixture
def two(merchant):
    """A declines every visa card (do_not_honor: retry elsewhere); B approves; rule: A then B."""
    a = sandbox(merchant, "A declines visa", config={"decline_card_brands": ["visa"]})
    b = sandbox(merchant, "B approves")
    rule_set(merchant, rules=[{"name": "a_then_b", "connectors": [a.public_id, b.public_id]}])
    return a, b


def _charges(api, intent_id):
    return api.get(f"/v1/payment_intents/{intent_id}/charges").json()["data"][::-1]


def test_retryable_decline_fails_over_with_two_decision_records(api, card, two):
    a, b = two
    resp = pay(api, card())
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "succeeded"
    first, second = _charges(api, body["id"])
    assert first["connector"] == a.public_id and first["status"] == "failed"
    assert first["decline_code"] == "do_not_honor"
    assert first["routing"]["attempt"] == 1 and first["routing"]["matched_rule"] == "a_then_b"
    assert second["connector"] == b.public_id and second["status"] == "succeeded"
    assert second["routing"]["attempt"] == 2
    assert second["routing"]["failover"] == {
        "previous_charge": first["id"], "previous_connector": a.public_id,
        "reason": "retryable_decline", "code": "do_not_honor",
    }  # fmt: skip
    assert body["latest_charge"] == second["id"]
    assert len(_authorizations(body["id"])) == 1


def test_do_not_retry_decline_stays_on_the_first_connector(api, card, merchant):
    a, b = sandbox(merchant, "a"), sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "ab", "connectors": [a.public_id, b.public_id]}])
    resp = pay(api, card(STOLEN))
    assert resp.status_code == 402
    assert resp.json()["error"]["decline_code"] == "stolen_card"
    charges = _charges(api, resp.json()["error"]["payment_intent"]["id"])
    assert [c["connector"] for c in charges] == [a.public_id]


def test_failover_is_bounded_by_the_decision(api, card, merchant):
    a = sandbox(merchant, "a")
    b = sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "both", "connectors": [a.public_id, b.public_id]}])
    resp = pay(api, card(DECLINED_BY_ISSUER))  # generic_decline: retryable, declines everywhere
    assert resp.status_code == 402
    charges = _charges(api, resp.json()["error"]["payment_intent"]["id"])
    assert [c["connector"] for c in charges] == [a.public_id, b.public_id]
    assert all(c["status"] == "failed" for c in charges)
    intent = PaymentIntent.objects.get(public_id=resp.json()["error"]["payment_intent"]["id"])
    assert intent.status == "requires_payment_method"


def test_timeout_never_received_is_looked_up_then_fails_over(api, card, merchant):
    a = sandbox(merchant, "a times out", config={"fault": "timeout"})
    b = sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "ab", "connectors": [a.public_id, b.public_id]}])
    body = pay(api, card()).json()
    assert body["status"] == "succeeded"
    first, second = _charges(api, body["id"])
    assert first["connector"] == a.public_id and first["status"] == "failed"
    assert second["routing"]["failover"]["reason"] == "not_received"
    lookups = [
        row
        for row in api.get(f"/v1/connectors/{a.public_id}/logs").json()["data"]
        if row["operation"] == "lookup"
    ]
    assert lookups and lookups[0]["request"]["idempotency_key"] == f"{first['id']}:authorize"
    assert len(_authorizations(body["id"])) == 1


def test_timeout_after_the_first_connector_authorized_is_never_failed_over(api, card, merchant):
    a = sandbox(merchant, "a answers late", config={"fault": "timeout_after_processing"})
    b = sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "ab", "connectors": [a.public_id, b.public_id]}])
    body = pay(api, card()).json()
    assert body["status"] == "succeeded"
    charges = _charges(api, body["id"])
    assert [c["connector"] for c in charges] == [a.public_id]  # the lookup found the authorization
    assert len(_authorizations(body["id"])) == 1


def test_connector_that_cannot_be_asked_leaves_the_attempt_unknown(api, card, merchant, monkeypatch):
    from apps.connectors import gateway
    from apps.connectors.base import RetryableError

    a = sandbox(merchant, "a", config={"fault": "timeout"})
    b = sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "ab", "connectors": [a.public_id, b.public_id]}])
    monkeypatch.setattr(
        gateway, "lookup", lambda **kw: RetryableError(code="timeout", message="lookup timed out")
    )
    body = pay(api, card()).json()
    assert body["status"] == "processing"
    charges = _charges(api, body["id"])
    assert [c["connector"] for c in charges] == [a.public_id] and charges[0]["attempt_status"] == "unknown"


class Crash(BaseException):
    """A process dying between two steps (not an Exception: nothing catches it)."""


@pytest.mark.parametrize("crash_on_call", [1, 2])
def test_a_crash_between_attempts_is_finished_by_the_janitor_without_a_second_authorization(
    merchant, card, two, monkeypatch, crash_on_call
):
    from apps.intents.services import confirm

    pm = card()
    intent = intents.payment_intent_create(
        merchant=merchant, livemode=False, actor=Actor.system("tests"), amount=2500, currency="USD",
        payment_method=pm.public_id,
    )  # fmt: skip
    real = confirm._call_provider
    calls = []

    def crashing(*args, **kwargs):
        answer = real(*args, **kwargs)
        calls.append(answer)
        if len(calls) == crash_on_call:
            raise Crash()  # the provider answered; the process died before recording it
        return answer

    monkeypatch.setattr(confirm, "_call_provider", crashing)
    with pytest.raises(Crash):
        intents.payment_intent_confirm(intent_id=intent.pk, actor=Actor.system("tests"))
    monkeypatch.setattr(confirm, "_call_provider", real)
    open_attempts = Charge.objects.filter(payment_intent=intent, status="submitting")
    assert open_attempts.count() == 1
    intents.payment_intents_recheck(older_than=timedelta(0))
    intent.refresh_from_db()
    approved = _authorizations(intent.public_id)
    assert len(approved) <= 1
    if crash_on_call == 1:
        # attempt 1 (declined at A) is recorded; nothing was tried elsewhere
        assert intent.status == "requires_payment_method"
        assert approved == []
    else:
        # attempt 2 (approved at B) is found by the janitor: succeeded, once
        assert intent.status == "succeeded" and len(approved) == 1


@pytest.mark.parametrize(
    "fault_a,fault_b",
    [("timeout", ""), ("timeout_after_processing", ""), ("http_503", ""), ("timeout", "timeout_after_processing"),
     ("timeout_after_processing", "timeout"), ("http_500", "timeout")],
)  # fmt: skip
def test_no_payment_is_ever_authorized_twice_across_connectors(api, card, merchant, fault_a, fault_b):
    a = sandbox(merchant, "a", config={"fault": fault_a} if fault_a else None)
    b = sandbox(merchant, "b", config={"fault": fault_b} if fault_b else None)
    c = sandbox(merchant, "c")
    rule_set(merchant, rules=[{"name": "abc", "connectors": [a.public_id, b.public_id, c.public_id]}])
    ids = []
    for _ in range(3):
        resp = pay(api, card())
        ids.append(
            resp.json()["id"] if resp.status_code == 200 else resp.json()["error"]["payment_intent"]["id"]
        )
    intents.payment_intents_recheck(older_than=timedelta(0))
    for intent_id in ids:
        approved = _authorizations(intent_id)
        assert len(approved) <= 1
        intent = PaymentIntent.objects.get(public_id=intent_id)
        if approved:
            assert intent.status == "succeeded"
            winner = Charge.objects.get(payment_intent=intent, status="succeeded")
            assert f"{winner.public_id}:authorize" == approved[0].idempotency_key
        assert Charge.objects.filter(payment_intent=intent, status="succeeded").count() <= 1


def test_disabled_connector_keeps_captures_and_refunds_of_its_payments(api, card, merchant):
    from apps.connectors.services import connector_disable
    from tests.routing.factories import ACTOR

    a = sandbox(merchant, "a")
    b = sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "a", "connectors": [a.public_id, b.public_id]}])
    body = pay(api, card(), capture_method="manual").json()
    assert body["status"] == "requires_capture"
    connector_disable(connector_id=a.pk, actor=ACTOR)
    captured = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json").json()
    assert captured["status"] == "succeeded"
    refund = api.post("/v1/refunds", {"payment_intent": body["id"], "amount": 500}, format="json")
    assert refund.status_code == 200 and refund.json()["status"] == "succeeded"
    assert Charge.objects.get(public_id=captured["latest_charge"]).connector_id == a.pk
    # new payments go elsewhere
    assert _charges(api, pay(api, card()).json()["id"])[0]["connector"] == b.public_id


def test_a_retried_confirm_of_the_same_payment_lands_in_the_same_split_bucket(api, card, merchant):
    a, b = sandbox(merchant, "a"), sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "half", "split": [{"connector": a.public_id, "weight": 50},
                                                        {"connector": b.public_id, "weight": 50}]}])  # fmt: skip
    buckets = set()
    for i in range(6):
        # Six shoppers (risk's card-testing guard would stop one address after five declines).
        shopper = {"REMOTE_ADDR": f"198.51.100.{10 + i}"}
        intent = api.post("/v1/payment_intents", {"amount": 1200, "currency": "usd"}, format="json").json()
        first = api.post(f"/v1/payment_intents/{intent['id']}/confirm",
                         {"payment_method": card(STOLEN).public_id}, format="json", **shopper)  # fmt: skip
        assert first.status_code == 402
        second = api.post(f"/v1/payment_intents/{intent['id']}/confirm",
                          {"payment_method": card().public_id}, format="json", **shopper).json()  # fmt: skip
        assert second["status"] == "succeeded"
        attempts = _charges(api, intent["id"])
        assert len(attempts) == 2
        assert attempts[0]["routing"]["split"]["bucket"] == attempts[1]["routing"]["split"]["bucket"]
        assert attempts[0]["connector"] == attempts[1]["connector"]
        buckets.add(attempts[0]["connector"])
    assert buckets <= {a.public_id, b.public_id}
