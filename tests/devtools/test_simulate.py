"""POST /v1/test_helpers/simulate: each simulated event goes through the inbound path and has
the real effect (rows, ledger, outbox events) its owner produces for a connector callback."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.devtools.models import Simulation
from apps.disputes.models import Dispute
from apps.ledger.selectors import ledger_available_balance
from apps.payouts.models import Payout
from apps.refunds.models import Refund
from apps.webhooks.models import Event, InboundWebhook
from tests.intents.helpers import create_intent, make_card, pay
from tests.ledger.factories import fund
from tests.payouts.factories import us_bank

pytestmark = pytest.mark.django_db


def simulate(api, type_, target, **body):
    return api.post("/v1/test_helpers/simulate", {"type": type_, "object": target, **body}, format="json")


def events(type_) -> int:
    return Event.objects.filter(type=type_).count()


def test_dispute_created_makes_the_dispute_withdraws_the_money_and_emits_the_event(api, merchant):
    body = pay(api, make_card(merchant), amount=5000).json()
    resp = simulate(api, "charge.dispute.created", body["id"], reason="product_not_received")
    assert resp.status_code == 200, resp.json()
    sim = resp.json()
    assert (sim["status"], sim["result"], sim["object"]) == ("applied", "applied", "test_helpers.simulation")
    dispute = Dispute.objects.get(payment_intent__public_id=body["id"])
    assert (dispute.status, dispute.reason, dispute.amount) == (
        "needs_response",
        "product_not_received",
        5000,
    )
    public = api.get(f"/v1/disputes/{dispute.public_id}").json()
    [withdrawal] = public["balance_transactions"]
    assert withdrawal["amount"] == -5000 and withdrawal["fee"] > 0  # the amount and the dispute fee
    assert events("charge.dispute.created") == 1
    row = InboundWebhook.objects.get(provider_event_id=sim["provider_event_id"])
    assert row.status == "processed" and row.event_type == "charge.dispute.created"
    listed = api.get("/v1/disputes").json()["data"]
    assert [d["id"] for d in listed] == [dispute.public_id]


def test_dispute_closed_won_gives_the_amount_back_and_lost_keeps_it(api, merchant):
    body = pay(api, make_card(merchant), amount=3000).json()
    simulate(api, "charge.dispute.created", body["id"])
    dispute = Dispute.objects.get(payment_intent__public_id=body["id"])
    bad = simulate(api, "charge.dispute.closed", dispute.public_id, outcome="maybe")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "outcome"
    resp = simulate(api, "charge.dispute.closed", dispute.public_id, outcome="won")
    assert resp.json()["status"] == "applied", resp.json()
    dispute.refresh_from_db()
    assert dispute.status == "won"
    amounts = [
        t["amount"] for t in api.get(f"/v1/disputes/{dispute.public_id}").json()["balance_transactions"]
    ]
    assert amounts == [-3000, 3000]  # withdrawn, then reinstated
    assert events("charge.dispute.closed") == 1


def test_refund_failed_fails_the_pending_refund_and_returns_its_amount(api, merchant):
    body = pay(api, make_card(merchant, "4000000000005126"), amount=5000).json()
    refund = api.post("/v1/refunds", {"payment_intent": body["id"], "amount": 2000}, format="json").json()
    assert refund["status"] == "pending"
    before = ledger_available_balance(merchant=merchant, livemode=False, currency="USD")
    resp = simulate(api, "refund.failed", refund["id"])
    assert resp.json()["status"] == "applied", resp.json()
    assert Refund.objects.get(public_id=refund["id"]).status == "failed"
    assert api.get(f"/v1/refunds/{refund['id']}").json()["status"] == "failed"
    assert ledger_available_balance(merchant=merchant, livemode=False, currency="USD") >= before
    assert events("refund.failed") == 1


def test_refund_failed_on_a_succeeded_refund_is_refused_naming_why(api, merchant):
    body = pay(api, make_card(merchant), amount=5000).json()
    refund = api.post("/v1/refunds", {"payment_intent": body["id"]}, format="json").json()
    assert refund["status"] == "succeeded"
    resp = simulate(api, "refund.failed", refund["id"])
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "simulation_not_applicable"
    assert "5126" in resp.json()["error"]["message"]
    assert not Simulation.objects.exists()


def test_payout_failed_returns_the_funds_to_the_balance(api, merchant):
    fund(merchant, 10_000)
    us_bank(merchant)
    payout = api.post("/v1/payouts", {"amount": 4_000, "currency": "usd"}, format="json").json()
    assert api.get("/v1/balance").json()["available"] == [{"amount": 6_000, "currency": "usd"}]
    resp = simulate(api, "payout.failed", payout["id"], failure_code="account_closed")
    assert resp.json()["status"] == "applied", resp.json()
    row = Payout.objects.get(public_id=payout["id"])
    assert (row.status, row.failure_code) == ("failed", "account_closed")
    assert api.get("/v1/balance").json()["available"] == [{"amount": 10_000, "currency": "usd"}]
    again = simulate(api, "payout.failed", payout["id"])
    assert again.status_code == 400 and again.json()["error"]["code"] == "simulation_not_applicable"


def test_late_capture_completes_a_capture_the_acquirer_did_not_answer(api, merchant):
    pm = make_card(merchant)
    intent = create_intent(
        api, payment_method=pm.public_id, confirm=True, capture_method="manual",
        metadata={"sandbox_fault": "capture:timeout"},
    ).json()  # fmt: skip
    assert intent["status"] == "requires_capture", intent
    early = simulate(api, "charge.captured", intent["id"])
    assert early.status_code == 400 and early.json()["error"]["code"] == "simulation_not_applicable"
    captured = api.post(f"/v1/payment_intents/{intent['id']}/capture", {}, format="json")
    assert api.get(f"/v1/payment_intents/{intent['id']}").json()["status"] == "processing", captured.json()
    resp = simulate(api, "charge.captured", intent["id"])
    assert resp.json()["status"] == "applied", resp.json()
    after = api.get(f"/v1/payment_intents/{intent['id']}").json()
    assert (after["status"], after["amount_received"]) == ("succeeded", 2000)
    assert events("charge.captured") == 1


def _processing(api, merchant) -> str:
    """A payment the acquirer took and answers later. The sandbox has no asynchronous method, so
    the state an acquirer answering `pending` leaves is made from a lost answer: the acquirer's
    own reference (asked through the gateway, as the janitor does) is what its callback names."""
    from apps.connectors import gateway
    from apps.intents.models import Charge

    intent = pay(api, make_card(merchant), metadata={"sandbox_fault": "timeout_after_processing"}).json()
    assert intent["status"] == "processing", intent
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    found = gateway.lookup(
        connector=charge.connector, operation="authorize", idempotency_key=charge.provider_key
    )
    Charge.objects.filter(pk=charge.pk).update(status="pending", gateway_reference=found.gateway_reference)
    return intent["id"]


def test_processing_payment_succeeds_or_fails_when_the_acquirer_says_so(api, merchant):
    waiting = [_processing(api, merchant), _processing(api, merchant)]
    ok = simulate(api, "payment_intent.succeeded", waiting[0])
    ko = simulate(api, "payment_intent.payment_failed", waiting[1], decline_code="insufficient_funds")
    assert ok.json().get("status") == "applied", ok.json()
    assert ko.json().get("status") == "applied", ko.json()
    assert api.get(f"/v1/payment_intents/{waiting[0]}").json()["status"] == "succeeded"
    failed = api.get(f"/v1/payment_intents/{waiting[1]}").json()
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["decline_code"] == "insufficient_funds"
    again = simulate(api, "payment_intent.succeeded", waiting[0])
    assert again.status_code == 400


def test_a_payment_the_acquirer_never_received_cannot_be_settled(api, merchant):
    intent = pay(api, make_card(merchant), metadata={"sandbox_fault": "timeout"}).json()
    resp = simulate(api, "payment_intent.succeeded", intent["id"])
    assert resp.status_code == 400 and "never" in resp.json()["error"]["message"], resp.json()


def test_unknown_type_bad_object_and_other_merchants_object(api, api_other, merchant):
    body = pay(api, make_card(merchant)).json()
    resp = simulate(api, "charge.teleported", body["id"])
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "type"
    resp = simulate(api, "charge.dispute.created", "re_123")
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "object"
    resp = simulate(api_other, "charge.dispute.created", body["id"])
    assert resp.status_code == 404
    resp = simulate(api, "charge.dispute.created", body["id"], delay_ms=-1)
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "delay_ms"
    assert not Dispute.objects.exists()


def test_a_delayed_simulation_is_scheduled_then_applied_once(
    api, merchant, django_capture_on_commit_callbacks
):
    body = pay(api, make_card(merchant)).json()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = simulate(api, "charge.dispute.created", body["id"], delay_ms=60_000)
    assert resp.status_code == 202 and resp.json()["status"] == "scheduled"
    assert not Dispute.objects.exists()
    sim = Simulation.objects.get(public_id=resp.json()["id"])
    from apps.devtools.services import simulation_apply, simulations_run_due

    assert simulations_run_due() == 0  # not due yet
    Simulation.objects.filter(pk=sim.pk).update(run_at=sim.created_at)
    assert simulations_run_due() == 1
    for callback in callbacks:  # the countdown task firing as well changes nothing
        callback()
    simulation_apply(simulation_id=sim.pk)
    assert Dispute.objects.count() == 1
    assert events("charge.dispute.created") == 1
    assert api.get(f"/v1/test_helpers/simulations/{sim.public_id}").json()["status"] == "applied"


@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/v1/test_helpers/simulate"),
        ("get", "/v1/test_helpers/simulations/sim_01ABC"),
        ("get", "/v1/test_helpers/faucet"),
        ("post", "/v1/test_helpers/faucet"),
    ],
)
def test_live_keys_and_production_see_no_test_helpers(client_for, api, merchant, settings, method, path):
    for live in (
        client_for(merchant, livemode=True),
        client_for(merchant, kind="restricted", livemode=True, scopes=["payment_intents:read"]),
    ):
        resp = getattr(live, method)(path, {"type": "payout.failed", "object": "po_x"}, format="json")
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "resource_missing"
    settings.CLEARHOUSE_ENV = "production"
    resp = getattr(api, method)(path, {"type": "payout.failed", "object": "po_x"}, format="json")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "resource_missing"


def test_the_faucet_gives_single_use_test_tokens(api, merchant):
    cards = api.get("/v1/test_helpers/faucet").json()["data"]
    assert {"succeeds", "refund_fails_async"} <= {c["behaviour"] for c in cards}
    assert all("number" not in c for c in cards)
    token = api.post("/v1/test_helpers/faucet", {"card": "refund_fails_async"}, format="json").json()
    assert token["id"].startswith("tok_") and token["card"]["last4"] == "5126", token
    first = api.post("/v1/payment_methods", {"type": "card", "card": {"token": token["id"]}}, format="json")
    assert first.status_code == 200, first.json()
    again = api.post("/v1/payment_methods", {"type": "card", "card": {"token": token["id"]}}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "token_already_used"
    bad = api.post("/v1/test_helpers/faucet", {"card": "teleport"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "card"


def test_early_fraud_warning_is_stored_labels_the_decision_and_emits_its_event(api, merchant):
    from apps.risk.models import EarlyFraudWarning, FraudLabel, RiskDecision

    body = pay(api, make_card(merchant), amount=5000).json()
    bad = simulate(api, "early_fraud_warning.created", body["id"], fraud_type="bored")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "fraud_type"
    resp = simulate(api, "early_fraud_warning.created", body["id"], fraud_type="made_with_stolen_card")
    assert resp.json()["status"] == "applied", resp.json()
    warning = EarlyFraudWarning.objects.get()
    public = api.get(f"/v1/radar/early_fraud_warnings/{warning.public_id}").json()
    assert public == {
        "id": warning.public_id, "object": "radar.early_fraud_warning", "actionable": True,
        "charge": body["latest_charge"], "created": public["created"], "fraud_type": "made_with_stolen_card",
        "livemode": False, "payment_intent": body["id"],
    }  # fmt: skip
    listed = api.get("/v1/radar/early_fraud_warnings", {"charge": body["latest_charge"]}).json()["data"]
    assert [w["id"] for w in listed] == [warning.public_id]
    assert api.get("/v1/radar/early_fraud_warnings", {"charge": "ch_other"}).json()["data"] == []
    [event] = Event.objects.filter(type="radar.early_fraud_warning.created")
    assert event.data["object"]["id"] == warning.public_id
    # Risk decided the payment: the warning is ground truth for its rules' precision and backtests.
    decision = RiskDecision.objects.get(payment_intent__public_id=body["id"])
    assert FraudLabel.objects.filter(decision=decision, source="early_fraud_warning", label="fraud").exists()
    # The same acquirer report again (a retried callback) is absorbed: one warning, one event.
    sim = Simulation.objects.get(public_id=resp.json()["id"])
    from apps.devtools.services.simulate import KINDS, _send

    _send(sim, KINDS[sim.type].build(sim))
    assert EarlyFraudWarning.objects.count() == 1
    assert Event.objects.filter(type="radar.early_fraud_warning.created").count() == 1


def test_early_fraud_warning_on_a_refunded_charge_is_not_actionable(api, merchant):
    body = pay(api, make_card(merchant), amount=5000).json()
    api.post("/v1/refunds", {"payment_intent": body["id"]}, format="json")
    simulate(api, "early_fraud_warning.created", body["id"])
    [warning] = api.get("/v1/radar/early_fraud_warnings", {"payment_intent": body["id"]}).json()["data"]
    assert (warning["actionable"], warning["fraud_type"]) == (False, "made_with_stolen_card")


def test_another_merchant_does_not_see_the_warning(api, api_other, merchant):
    body = pay(api, make_card(merchant), amount=5000).json()
    simulate(api, "early_fraud_warning.created", body["id"])
    warning_id = api.get("/v1/radar/early_fraud_warnings").json()["data"][0]["id"]
    assert api_other.get(f"/v1/radar/early_fraud_warnings/{warning_id}").status_code == 404
    assert api_other.get("/v1/radar/early_fraud_warnings").json()["data"] == []


def _faucet(api, **body) -> dict:
    resp = api.post("/v1/test_helpers/faucet", body, format="json")
    assert resp.status_code == 200, resp.json()
    return resp.json()


def _pay_with(api, **body):
    return api.post(
        "/v1/payment_intents", {"amount": 1500, "currency": "usd", "confirm": True, **body}, format="json"
    )


def test_faucet_tokens_pay_as_payment_method_data_or_source_once_each(api, merchant):
    token = _faucet(api, card="succeeds")
    assert token["card"]["tokenization_method"] is None and token["expires_at"] > token["created"]
    paid = _pay_with(api, payment_method_data={"type": "card", "card": {"token": token["id"]}})
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.json()
    again = _pay_with(api, payment_method_data={"type": "card", "card": {"token": token["id"]}})
    assert again.status_code == 400
    assert (again.json()["error"]["code"], again.json()["error"]["param"]) == (
        "token_already_used", "payment_method_data[card][token]",
    )  # fmt: skip
    declining = _faucet(api, card="4000000000000002")
    declined = _pay_with(api, source=declining["id"])
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined", (
        declined.json()
    )
    reused = _pay_with(api, source=declining["id"])
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "token_already_used"
    # Stripe's own test ids stay reusable, as in Stripe's test mode.
    for _ in range(2):
        assert _pay_with(api, source="tok_visa").json()["status"] == "succeeded"
    missing = _pay_with(api, payment_method_data={"type": "card"})
    assert (
        missing.status_code == 400 and missing.json()["error"]["param"] == "payment_method_data[card][token]"
    )


def test_faucet_tokens_expire(api, merchant):
    from apps.vault.models import Token

    token = _faucet(api)
    Token.objects.filter(public_id=token["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    resp = _pay_with(api, source=token["id"])
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "token_expired", resp.json()


def test_faucet_wallet_tokens_become_wallet_payment_methods(api, merchant):
    listing = api.get("/v1/test_helpers/faucet").json()
    assert [w["wallet"] for w in listing["wallets"]] == ["apple_pay", "google_pay"]
    for wallet in ("apple_pay", "google_pay"):
        token = _faucet(api, wallet=wallet, card="succeeds")
        assert token["card"]["tokenization_method"] == wallet
        paid = _pay_with(api, payment_method_data={"type": "card", "card": {"token": token["id"]}},
                         payment_method_types=["card", wallet])  # fmt: skip
        assert paid.json().get("status") == "succeeded", paid.json()
        pm = api.get(f"/v1/payment_methods/{paid.json()['payment_method']}").json()
        assert pm["type"] == wallet and pm[wallet]["dynamic_last4"] == token["card"]["last4"]
        assert pm[wallet]["card_brand"] == "visa"
        again = _pay_with(api, source=token["id"], payment_method_types=["card", wallet])
        assert again.status_code == 400 and again.json()["error"]["code"] == "token_already_used"
    bad = api.post("/v1/test_helpers/faucet", {"wallet": "samsung_pay"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "wallet"
