"""The refund approval threshold is per currency (minor units of that currency): 150.00 USD is
above a 100.00 USD threshold while 150 JPY is under a 1000 JPY one; a currency without its own
threshold falls back to the single legacy refund_approval_threshold."""

import pytest

from apps.audit.services import Actor
from apps.merchants.services import merchant_settings_update
from tests.intents.helpers import pay
from tests.refunds.test_api import refund

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def _paid(api, card, amount, currency):
    body = pay(api, card("4242424242424242"), amount=amount, currency=currency).json()
    assert body["status"] == "succeeded", body
    return body


def test_each_refund_is_compared_with_the_threshold_of_its_currency(api, card, merchant):
    merchant_settings_update(
        merchant=merchant, changes={"refund_approval_thresholds": {"USD": 10_000, "JPY": 1_000}}, actor=ACTOR
    )
    usd = _paid(api, card, 20_000, "usd")
    jpy = _paid(api, card, 5_000, "jpy")
    assert refund(api, payment_intent=usd["id"], amount=15_000).json()["status"] == "requires_approval"
    assert refund(api, payment_intent=jpy["id"], amount=150).json()["status"] == "succeeded"
    # at the threshold is not above it; just above is
    assert refund(api, payment_intent=jpy["id"], amount=1_000).json()["status"] == "succeeded"
    assert refund(api, payment_intent=jpy["id"], amount=1_001).json()["status"] == "requires_approval"


def test_a_currency_without_its_own_threshold_uses_the_legacy_single_one(api, card, merchant):
    merchant_settings_update(
        merchant=merchant,
        changes={"refund_approval_threshold": 500, "refund_approval_thresholds": {"JPY": 100_000}},
        actor=ACTOR,
    )
    usd = _paid(api, card, 5_000, "usd")
    jpy = _paid(api, card, 50_000, "jpy")
    assert refund(api, payment_intent=usd["id"], amount=600).json()["status"] == "requires_approval"
    assert refund(api, payment_intent=usd["id"], amount=400).json()["status"] == "succeeded"
    # JPY has its own (higher) threshold: the legacy 500 does not apply to it
    assert refund(api, payment_intent=jpy["id"], amount=20_000).json()["status"] == "succeeded"
    # dropping JPY's own threshold makes it fall back to the legacy one
    merchant_settings_update(
        merchant=merchant, changes={"refund_approval_thresholds": {"JPY": None}}, actor=ACTOR
    )
    assert refund(api, payment_intent=jpy["id"], amount=600).json()["status"] == "requires_approval"
