"""What the create+confirm path keeps after its query cuts, on real commits: the detokenize
audit entry (written with the attempt, before the number is read), the outbox events of both
transactions (all published), the ledger's fee fields on the charge, the capture posted once."""

import pytest

from apps.audit.models import AuditEntry
from apps.intents.models import Charge
from apps.ledger.models import CaptureRecord, JournalEntry
from apps.webhooks.models import Event
from tests.intents.helpers import pay

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_confirm_keeps_audit_events_and_ledger(api, card, merchant):
    pm = card()
    resp = pay(api, pm, amount=5000)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["status"] == "succeeded" and body["amount_received"] == 5000
    charge = Charge.objects.get(public_id=body["latest_charge"])
    assert charge.status == "succeeded" and charge.captured and charge.amount_captured == 5000

    reads = AuditEntry.objects.filter(action="vault.detokenize", object_id=pm.public_id)
    assert [e.after["purpose"] for e in reads] == [f"authorize {charge.public_id}"]
    actions = set(AuditEntry.objects.filter(object_id=body["id"]).values_list("action", flat=True))
    assert {"payment_intent.create", "payment_intent.succeeded"} <= actions

    events = Event.objects.filter(merchant=merchant).order_by("public_id")
    assert [e.type for e in events] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    assert all(e.enqueued_at is not None for e in events)  # published after the last commit
    assert events[2].data["object"]["status"] == "succeeded"

    record = CaptureRecord.objects.get(charge_id=charge.public_id)
    assert JournalEntry.objects.filter(idempotency_key=f"capture:{charge.public_id}").count() == 1
    assert charge.application_fee_amount == record.fee
    assert (charge.fee_details or []) == (
        [
            {
                "type": "application_fee",
                "amount": record.fee,
                "currency": "usd",
                "description": "Processing fee",
            }
        ]
        if record.fee
        else []
    )
