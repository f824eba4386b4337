"""Verified provider events about refunds (refund_apply_inbound_event)."""

from apps.connectors.models import Connector
from apps.connectors.sandbox import SandboxAdapter
from apps.refunds import services
from apps.refunds.models import Refund
from tests.refunds.test_api import refund


def test_inbound_refund_event_applies_once(api, paid, merchant):
    body = paid("4000000000005126")
    data = refund(api, payment_intent=body["id"]).json()
    re = Refund.objects.get(public_id=data["id"])
    connector = Connector.objects.get(merchant=merchant, code="sandbox")
    adapter = SandboxAdapter()
    raw, headers = adapter.build_webhook(
        type="refund.failed", gateway_reference=re.gateway_reference, amount=5000
    )
    event = adapter.parse_inbound_webhook(body=raw, headers=headers)
    assert services.refund_apply_inbound_event(connector=connector, event=event) == "applied"
    assert services.refund_apply_inbound_event(connector=connector, event=event) == "ignored"
    assert Refund.objects.get(pk=re.pk).status == "failed"
