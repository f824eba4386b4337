"""Real providers' signed callbacks through the public endpoint (/v1/webhooks/gateway/{connector}):
Stripe's Stripe-Signature and Adyen's HMAC notification verify and are stored once; an altered one
is refused with 400 and kept as rejected."""

import pytest
from rest_framework.test import APIClient

from apps.connectors.services import connector_create
from apps.webhooks.models import InboundWebhook
from tests.connectors.adapters.adyen.conformance import Recordings as AdyenRecordings
from tests.connectors.adapters.stripe.conformance import Recordings as StripeRecordings
from tests.intents.helpers import ACTOR


@pytest.mark.parametrize("recordings", [StripeRecordings(), AdyenRecordings()], ids=["stripe", "adyen"])
def test_a_signed_callback_is_accepted_once_and_an_altered_one_refused(merchant, recordings):
    connector = connector_create(merchant=merchant, livemode=recordings.livemode, type=recordings.provider,
                                 label="callbacks", actor=ACTOR, credentials=dict(recordings.credentials),
                                 config=dict(recordings.config))  # fmt: skip
    client = APIClient()
    url = f"/v1/webhooks/gateway/{connector.public_id}"
    body, headers = recordings.callback()
    extra = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name != "Content-Type"
    }
    first = client.generic("POST", url, body, content_type="application/json", **extra)
    again = client.generic("POST", url, body, content_type="application/json", **extra)
    assert first.status_code == 200 and again.status_code == 200, (first.content, again.content)
    bad_body, bad_headers = recordings.tamper(body, dict(headers))
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in bad_headers.items() if k != "Content-Type"}
    refused = client.generic("POST", url, bad_body, content_type="application/json", **extra)
    assert refused.status_code == 400, refused.content
    rows = list(InboundWebhook.objects.filter(connector=connector).order_by("id"))
    assert [row.status for row in rows][1:] == ["duplicate", "rejected"]
    assert rows[0].provider_event_id == recordings.callback_expect["provider_event_id"]
    assert rows[0].event_type == recordings.callback_expect["type"]
