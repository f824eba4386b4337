"""Shared by the refund services: events, the lock order (intent, then charge, then refund), the refundable amount."""

from __future__ import annotations

from django.db.models import Sum

from apps.core.errors import NotFoundError
from apps.intents.locks import charge_lock, payment_intent_lock
from apps.intents.models import Charge, PaymentIntent
from apps.intents.payloads import charge_to_dict
from apps.webhooks.services import event_record

from ..models import Refund
from ..payloads import refund_to_dict

# A refund the provider may still answer about.
OPEN = (Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION)


def _event(refund: Refund, type_: str, previous: dict | None = None) -> None:
    event_record(
        merchant=refund.merchant,
        livemode=refund.livemode,
        type=type_,
        data=refund_to_dict(refund),
        previous_attributes=previous,
    )


def _charge_event(charge: Charge, type_: str) -> None:
    event_record(merchant=charge.merchant, livemode=charge.livemode, type=type_, data=charge_to_dict(charge))


def _lock_all(refund_id: int) -> tuple[PaymentIntent, Charge, Refund]:
    """Locks in the house order (apps.intents.locks): intent, charge, then the refund."""
    ids = Refund.objects.filter(pk=refund_id).values("payment_intent_id", "charge_id").first()
    if ids is None:
        raise NotFoundError("refund", str(refund_id))
    intent = payment_intent_lock(ids["payment_intent_id"])
    charge = charge_lock(ids["charge_id"], intent)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    refund.payment_intent = intent
    refund.charge = charge
    return intent, charge, refund


def _resolve_refund_id(refund_id) -> int:
    if isinstance(refund_id, int):
        return refund_id
    pk = Refund.objects.filter(public_id=str(refund_id)).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFoundError("refund", str(refund_id))
    return pk


def refundable_amount(charge: Charge) -> int:
    """Captured minus every refund that still counts (call with the charge locked)."""
    reserved = (
        Refund.objects.filter(charge=charge)
        .exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return charge.amount_captured - reserved


# ---------------------------------------------------------------------------------------------
# create / submit
# ---------------------------------------------------------------------------------------------
