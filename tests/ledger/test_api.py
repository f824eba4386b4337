from datetime import timedelta

from django.utils import timezone

from apps.intents.models import Charge, PaymentIntent
from apps.ledger.models import FeeSchedule, JournalEntry
from apps.ledger.selectors import ledger_check_invariants
from apps.ledger.services import ledger_post_capture, ledger_settle_due
from apps.webhooks.models import Event
from tests.intents.helpers import make_card, pay


def test_balance_starts_at_zero_in_the_settlement_currency(api):
    body = api.get("/v1/balance").json()
    assert body == {
        "object": "balance",
        "livemode": False,
        "available": [{"amount": 0, "currency": "usd"}],
        "pending": [{"amount": 0, "currency": "usd"}],
        "reserved": [{"amount": 0, "currency": "usd"}],
    }


def test_payment_through_the_api_posts_fee_split_and_balance(api, merchant):
    FeeSchedule.objects.create(merchant=merchant, currency="USD", percent_bp=290, fixed_amount=30)
    split = [
        {"account_type": "ServiceOwner", "account_id": "svc", "percentage_bp": 9000},
        {"account_type": "Partner", "account_id": "partner-1", "percentage_bp": 1000},
    ]
    resp = pay(api, make_card(merchant), amount=10_000, split=split)
    assert resp.status_code == 200, resp.json()
    intent = PaymentIntent.objects.get(public_id=resp.json()["id"])
    charge = Charge.objects.get(pk=intent.latest_charge_id)
    assert charge.application_fee_amount == 320
    assert charge.fee_details[0] == {
        "type": "application_fee",
        "amount": 320,
        "currency": "usd",
        "description": "Processing fee",
    }
    assert [s["amount"] for s in intent.split] == [8712, 968]
    assert api.get("/v1/balance").json()["pending"] == [{"amount": 8712, "currency": "usd"}]

    txns = api.get("/v1/balance_transactions", {"type": "charge"}).json()["data"]
    assert [(t["amount"], t["fee"], t["net"], t["source"], t["status"]) for t in txns] == [
        (10_000, 1288, 8712, charge.public_id, "pending")
    ]

    refund = api.post("/v1/refunds", {"payment_intent": intent.public_id, "amount": 5_000}, format="json")
    assert refund.status_code == 200, refund.json()
    assert JournalEntry.objects.filter(kind="refund", source_id=refund.json()["id"]).count() == 1
    assert api.get("/v1/balance").json()["pending"] == [{"amount": 8712 - 4516, "currency": "usd"}]
    assert ledger_check_invariants() == []


def test_settlement_makes_funds_available_and_records_balance_available(api, merchant):
    ledger_post_capture(
        merchant=merchant,
        livemode=False,
        charge_id="ch_a",
        amount=2_000,
        currency="USD",
        connector_code="sandbox",
    )
    assert ledger_settle_due(merchant=merchant, livemode=False, currency="USD") == 0  # not due yet (2 days)
    moved = ledger_settle_due(
        merchant=merchant, livemode=False, currency="USD", now=timezone.now() + timedelta(days=2, minutes=1)
    )
    assert moved == 2_000
    body = api.get("/v1/balance").json()
    assert body["available"] == [{"amount": 2_000, "currency": "usd"}]
    assert body["pending"] == [{"amount": 0, "currency": "usd"}]
    event = Event.objects.get(type="balance.available", merchant=merchant)
    assert event.data["object"]["available"] == [{"amount": 2_000, "currency": "usd"}]
    txn = api.get("/v1/balance_transactions").json()["data"][0]
    assert txn["status"] == "available"


def test_balance_transactions_filters_validation_and_tenancy(api, api_other, merchant):
    for n in range(3):
        ledger_post_capture(
            merchant=merchant,
            livemode=False,
            charge_id=f"ch_{n}",
            amount=1_000,
            currency="USD",
            connector_code="sandbox",
        )
    listing = api.get("/v1/balance_transactions", {"limit": 2}).json()
    assert len(listing["data"]) == 2 and listing["has_more"] is True
    assert api.get("/v1/balance_transactions", {"type": "refund"}).json()["data"] == []
    assert len(api.get("/v1/balance_transactions", {"created[gte]": 0}).json()["data"]) == 3
    bad = api.get("/v1/balance_transactions", {"type": "nonsense"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "type"
    txn_id = listing["data"][0]["id"]
    assert api.get(f"/v1/balance_transactions/{txn_id}").status_code == 200
    assert api_other.get(f"/v1/balance_transactions/{txn_id}").status_code == 404
    assert api_other.get("/v1/balance_transactions").json()["data"] == []
    assert api_other.get("/v1/balance").json()["pending"] == [{"amount": 0, "currency": "usd"}]


def test_live_and_test_balances_are_separate(client_for, merchant):
    ledger_post_capture(
        merchant=merchant,
        livemode=True,
        charge_id="ch_live",
        amount=1_000,
        currency="USD",
        connector_code="sandbox",
    )
    assert client_for(merchant).get("/v1/balance").json()["pending"][0]["amount"] == 0
    assert client_for(merchant, livemode=True).get("/v1/balance").json()["pending"][0]["amount"] == 1_000
