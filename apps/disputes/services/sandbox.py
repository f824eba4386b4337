"""The sandbox acquirer's dispute notifications, delivered as a real acquirer would: signed
callbacks through the inbound pipeline (apps.webhooks: raw payload kept, deduplicated on the event
id), SANDBOX_DISPUTE_DELAY_SECONDS after the dispute opened or the evidence decided it, so the
demo shows a dispute arriving and, after `winning_evidence`, being won a little later.

Each notification is sent once: one whose event id the connector already received is skipped (a
double run or a restart re-sends nothing; the inbound dedupe would absorb it anyway)."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.utils import timezone

from apps.connectors.models import Connector, SandboxTransaction
from apps.connectors.sandbox import SandboxAdapter
from apps.connectors.services import connector_credentials
from apps.intents.selectors import charges_by_gateway_reference
from apps.webhooks.models import InboundWebhook
from apps.webhooks.services.inbound import inbound_webhook_receive

# Records older than this are not looked at again (their notifications went long ago).
LOOKBACK = dt.timedelta(days=2)


def _delay() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "SANDBOX_DISPUTE_DELAY_SECONDS", 15)))


def disputes_deliver_sandbox_notifications(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Sends the sandbox's due dispute notifications; how many were delivered."""
    now = now or timezone.now()
    rows = list(
        SandboxTransaction.objects.filter(
            operation__in=("dispute", "dispute_evidence"), created_at__gte=now - LOOKBACK,
            created_at__lte=now - _delay(),
        ).order_by("id").values("operation", "reference", "parent_reference")[:limit]
    )  # fmt: skip
    due_events = {f"evt_{row['reference']}" for row in rows}
    evidence_parents = [row["parent_reference"] for row in rows if row["operation"] == "dispute_evidence"]
    disputes = dict(
        SandboxTransaction.objects.filter(operation="dispute", reference__in=evidence_parents).values_list(
            "reference", "parent_reference"
        )
    )
    charge_refs = {row["parent_reference"] for row in rows if row["operation"] == "dispute"}
    charge_refs |= {disputes[ref] for ref in evidence_parents if ref in disputes}
    sent = 0
    for ref in sorted(charge_refs):
        charge = (
            charges_by_gateway_reference(ref).filter(connector__code="sandbox").values("connector_id").first()
        )
        if charge is None:
            continue
        connector = Connector.objects.get(pk=charge["connector_id"])
        adapter = SandboxAdapter(credentials=connector_credentials(connector), livemode=connector.livemode)
        for body, headers in adapter.dispute_notifications(gateway_reference=ref):
            event_id = json.loads(body).get("id", "")
            if event_id not in due_events:
                continue
            if InboundWebhook.objects.filter(connector=connector, provider_event_id=event_id).exists():
                continue
            inbound_webhook_receive(connector_ref=connector.public_id, body=body, headers=headers)
            sent += 1
    return sent
