import uuid

import pytest

from apps.connectors.models import Connector
from apps.connectors.sandbox import SandboxAdapter
from apps.disputes.models import Dispute
from apps.intents.models import Charge
from tests.intents.helpers import make_card, pay
from tests.webhooks.test_api_inbound import post_callback


def connector_of(merchant) -> Connector:
    return Connector.objects.get(merchant=merchant, code="sandbox", livemode=False)


def network_event(merchant, charge: Charge, type_: str, *, dispute="sbxdp_test", event_id=None, **data):
    """A signed sandbox-acquirer callback about a dispute of `charge`, posted to the inbound endpoint."""
    raw, headers = SandboxAdapter().build_webhook(
        type=type_,
        gateway_reference=charge.gateway_reference,
        amount=charge.amount_captured,
        currency=charge.currency,
        data={"dispute": dispute, **data},
        event_id=event_id or f"sbxevt_{uuid.uuid4().hex}",  # each call is a distinct network event
    )
    response = post_callback(connector_of(merchant).public_id, raw, headers)
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def disputed(api, merchant):
    """A 4000 0000 0000 0259 payment (20.00 USD) and the dispute its sandbox acquirer notification
    creates through POST /v1/webhooks/gateway/{connector}."""
    body = pay(api, make_card(merchant, "4000000000000259")).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    [(raw, headers)] = SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference)
    response = post_callback(connector_of(merchant).public_id, raw, headers)
    assert response.status_code == 200 and response.json()["status"] == "processed", response.json()
    return Dispute.objects.get(charge=charge)
