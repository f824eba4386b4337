"""Verified provider events about charges (apps.intents.services.inbound)."""

from apps.connectors.models import Connector
from apps.connectors.sandbox import SandboxAdapter
from apps.intents import services
from apps.intents.models import Charge, PaymentIntent
from tests.intents.helpers import pay


def test_inbound_charge_event_resolves_an_unknown_attempt(api, card, merchant):
    body = pay(api, card(), metadata={"sandbox_fault": "timeout_after_processing"}).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    adapter = SandboxAdapter()
    record = adapter.store.get(charge.provider_key)
    raw, headers = adapter.build_webhook(
        type="charge.succeeded", gateway_reference=record.reference, amount=2000
    )
    event = adapter.parse_inbound_webhook(body=raw, headers=headers)
    Charge.objects.filter(pk=charge.pk).update(gateway_reference=record.reference)
    connector = Connector.objects.get(merchant=merchant, code="sandbox")
    assert services.charge_apply_inbound_event(connector=connector, event=event) == "applied"
    assert services.charge_apply_inbound_event(connector=connector, event=event) == "ignored"
    assert PaymentIntent.objects.get(public_id=body["id"]).status == "succeeded"


def _waiting_on_3ds(api, card, merchant):
    """A manual-capture card payment waiting on the customer's 3DS step, and its sandbox record."""
    body = pay(
        api, card("4000002760003184"), capture_method="manual", return_url="https://shop.example/r"
    ).json()
    assert body["status"] == "requires_action"
    charge = Charge.objects.get(public_id=body["latest_charge"])
    adapter = SandboxAdapter()
    record = adapter.store.get(charge.provider_key)
    return body, adapter, record, Connector.objects.get(merchant=merchant, code="sandbox")


def test_charge_authorized_completes_a_manual_capture_attempt_waiting_on_the_customer(api, card, merchant):
    body, adapter, record, connector = _waiting_on_3ds(api, card, merchant)
    raw, headers = adapter.build_webhook(
        type="charge.authorized", gateway_reference=record.reference, amount=2000, currency="usd"
    )
    event = adapter.parse_inbound_webhook(body=raw, headers=headers)
    assert services.charge_apply_inbound_event(connector=connector, event=event) == "applied"
    intent = PaymentIntent.objects.get(public_id=body["id"])
    assert intent.status == "requires_capture" and intent.amount_capturable == 2000
    assert Charge.objects.get(public_id=body["latest_charge"]).status == "authorized"
    # the provider's replay changes nothing
    assert services.charge_apply_inbound_event(connector=connector, event=event) == "ignored"


def test_charge_authorized_for_another_amount_or_currency_completes_nothing(api, card, merchant):
    body, adapter, record, connector = _waiting_on_3ds(api, card, merchant)
    for amount, currency in ((1999, "usd"), (2000, "eur")):
        raw, headers = adapter.build_webhook(
            type="charge.authorized", gateway_reference=record.reference, amount=amount, currency=currency
        )
        event = adapter.parse_inbound_webhook(body=raw, headers=headers)
        outcome = services.charge_apply_inbound_event(connector=connector, event=event)
        assert outcome == "ignored:amount_mismatch"
    assert PaymentIntent.objects.get(public_id=body["id"]).status == "requires_action"
    assert Charge.objects.get(public_id=body["latest_charge"]).status == "requires_action"
