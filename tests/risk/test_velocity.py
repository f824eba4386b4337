"""Velocity counters and the card-testing guard, on the real Redis of this run, across
concurrent requests (threads with their own Redis and PostgreSQL connections)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.intents.hooks import PaymentContext, Verdict
from apps.risk import store
from apps.risk.models import CardTestingBlock, RiskDecision, RiskSettings
from apps.risk.services import card_testing_block_lift
from apps.risk.services.payments import decline_count
from tests.intents.helpers import make_card, pay


def decision_of(response) -> RiskDecision:
    body = response.json()
    charge = body["latest_charge"] if "latest_charge" in body else body["error"]["charge"]
    return RiskDecision.objects.get(charge__public_id=charge)


@pytest.mark.django_db
def test_attempts_are_counted_per_card_fingerprint(api, merchant):
    pm = make_card(merchant)
    counts = [decision_of(pay(api, pm)).inputs["attempts_per_card_fingerprint_10m"] for _ in range(3)]
    assert counts == [1, 2, 3]
    other = decision_of(pay(api, make_card(merchant, "5555555555554444")))
    assert other.inputs["attempts_per_card_fingerprint_10m"] == 1
    assert other.inputs["attempts_per_ip_address_10m"] == 4  # same client IP throughout


@pytest.mark.django_db
def test_a_velocity_rule_blocks_the_third_attempt(api, merchant, rules):
    rules(("block", ":attempts_per_card_fingerprint_1h: > 2"))
    pm = make_card(merchant)
    assert [pay(api, pm).status_code for _ in range(3)] == [200, 200, 402]


@pytest.mark.django_db
def test_declines_are_counted_after_the_answer(api, merchant):
    declining = make_card(merchant, "4000000000000002")
    pay(api, declining)
    second = decision_of(pay(api, declining))
    assert second.inputs["declines_per_card_fingerprint_24h"] == 1
    assert any(c["component"] == "declines" for c in second.components)


def _context(merchant_id, **kw):
    base = {"merchant_id": merchant_id, "livemode": False, "amount": 100, "currency": "USD",
            "payment_method_type": "card", "capture_method": "automatic", "card_fingerprint": "fp_concurrent",
            "ip_address": "203.0.113.9"}  # fmt: skip
    return PaymentContext(**{**base, **kw})


@pytest.mark.django_db
def test_concurrent_attempts_are_all_counted_once(merchant):
    dims = {"card_fingerprint": "fp_race", "ip_address": "198.51.100.7"}
    barrier = threading.Barrier(16)

    def attempt(_):
        barrier.wait()
        return store.evaluate_round_trip(merchant_id=merchant.pk, livemode=False, dims=dims)["counts"]

    with ThreadPoolExecutor(16) as pool:
        seen = [c["attempts_per_card_fingerprint_10m"] for c in pool.map(attempt, range(16))]
    # INCR is atomic: every attempt saw a distinct count, and none was lost
    assert sorted(seen) == list(range(1, 17))


@pytest.mark.django_db(transaction=True)
def test_card_testing_guard_trips_once_under_concurrent_declines(merchant):
    RiskSettings.objects.create(merchant=merchant, card_testing_declines=5, card_testing_block_seconds=600)
    verdict = Verdict(action="allow", private={"ct": [5, 600, 600]})
    barrier = threading.Barrier(12)

    def decline(i):
        try:
            barrier.wait()
            return len(decline_count(_context(merchant.pk, charge=f"ch_{i}"), verdict))
        finally:
            connection.close()

    with ThreadPoolExecutor(12) as pool:
        created = sum(pool.map(decline, range(12)))
    # one block per kind (IP and card fingerprint), whichever thread crossed the threshold
    assert created == 2
    assert sorted(CardTestingBlock.objects.values_list("kind", flat=True)) == [
        "card_fingerprint",
        "ip_address",
    ]
    trip = store.evaluate_round_trip(merchant_id=merchant.pk, livemode=False,
                                     dims={"card_fingerprint": "fp_concurrent", "ip_address": "203.0.113.9"})  # fmt: skip
    assert set(trip["guards"]) == {"card_fingerprint", "ip_address"}


@pytest.mark.django_db
def test_guard_blocks_further_attempts_until_lifted(api, merchant, django_capture_on_commit_callbacks):
    RiskSettings.objects.create(merchant=merchant, card_testing_declines=3)
    declining = make_card(merchant, "4000000000000002")
    assert [pay(api, declining).status_code for _ in range(3)] == [402, 402, 402]
    blocks = CardTestingBlock.objects.order_by("kind")
    assert [b.kind for b in blocks] == ["card_fingerprint", "ip_address"]
    good = make_card(merchant)
    blocked = pay(api, good)  # another card, same IP: the IP is blocked
    assert blocked.status_code == 402 and blocked.json()["error"]["decline_code"] == "fraudulent"
    assert decision_of(blocked).source == "card_testing_guard"
    with django_capture_on_commit_callbacks(execute=True):
        for block in blocks:
            card_testing_block_lift(
                block_id=block.pk, actor=Actor.system("tests"), reason="false alarm, customer called"
            )
    assert pay(api, good).status_code == 200
    assert AuditEntry.objects.filter(action="risk.card_testing_guard.lifted").count() == 2
