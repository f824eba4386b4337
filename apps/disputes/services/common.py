"""What every dispute service shares: the row lock in the house order and the event."""

from __future__ import annotations

from apps.core.errors import NotFoundError
from apps.intents.locks import charge_lock, payment_intent_lock
from apps.webhooks.services import event_record

from ..models import Dispute
from ..payloads import dispute_to_dict

S = Dispute.Status

# Stripe's limit on the combined text of a dispute's evidence.
EVIDENCE_TEXT_LIMIT = 150_000


def _event(dispute: Dispute, type_: str, previous: dict | None = None) -> None:
    event_record(
        merchant=dispute.merchant,
        livemode=dispute.livemode,
        type=type_,
        data=dispute_to_dict(dispute),
        previous_attributes=previous,
    )


def _lock_all(dispute_pk: int) -> Dispute:
    ids = Dispute.objects.filter(pk=dispute_pk).values("payment_intent_id", "charge_id").first()
    if ids is None:
        raise NotFoundError("dispute", str(dispute_pk))
    intent = payment_intent_lock(ids["payment_intent_id"])
    charge = charge_lock(ids["charge_id"], intent)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_pk)
    dispute.payment_intent = intent
    dispute.charge = charge
    return dispute
