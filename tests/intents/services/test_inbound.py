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
