"""Verified provider events about charges (registered with apps.connectors.inbound in IntentsConfig)."""

from __future__ import annotations

from apps.audit.services import Actor
from apps.connectors.base import Approved, Declined

from ..models import Charge, PaymentIntent
from .capture import charge_record_operation
from .common import OPEN_ATTEMPT
from .outcomes import charge_record_authorization


def charge_apply_inbound_event(*, connector, event) -> str:
    """Maps a verified provider event about a charge to our state. Returns what happened:
    ``applied``, ``ignored`` (already in that state / replay) or ``unknown_reference``."""
    charge = (
        Charge.objects.filter(connector=connector, gateway_reference=event.gateway_reference)
        .select_related("payment_intent")
        .order_by("-id")
        .first()
    )
    if charge is None:
        return "unknown_reference"
    actor = Actor.system(f"connector:{connector.code}")
    intent = charge.payment_intent
    capture = intent.capture_method == PaymentIntent.CaptureMethod.AUTOMATIC
    if event.type == "charge.captured":
        return _apply_late_capture(intent, charge, event, actor)
    if event.type in ("charge.succeeded", "charge.authorized"):
        result = Approved(gateway_reference=event.gateway_reference, amount=event.amount)
    elif event.type == "charge.failed":
        data = event.data or {}
        result = Declined(
            decline_code=str(data.get("decline_code", "generic_decline")),
            network_code=str(data.get("network_code", "05")),
            message=str(data.get("message", "Your card was declined.")),
            gateway_reference=event.gateway_reference,
        )
    else:
        return "ignored"
    if charge.status == Charge.Status.REQUIRES_ACTION and event.type in ("charge.succeeded", "charge.failed"):
        # A redirect or QR provider's signed return / status callback: the customer's step is
        # over. Completed like the customer's answer on the next-action path, so the adapter
        # verifies the provider's answer once more (confirm_redirect) before anything is recorded.
        from .next_action import payment_intent_complete_action

        payment_intent_complete_action(
            intent_id=intent.pk, actor=actor, reference=charge.action_reference,
            result="approved" if event.type == "charge.succeeded" else "failed",
            payload=dict(event.data or {}), raise_errors=False,
        )  # fmt: skip
        return "applied"
    if charge.status not in OPEN_ATTEMPT:
        return "ignored"
    charge_record_authorization(
        intent_id=intent.pk,
        charge_id=charge.pk,
        result=result,
        actor=actor,
        capture=capture,
        raise_errors=False,
    )
    return "applied"


def _apply_late_capture(intent: PaymentIntent, charge: Charge, event, actor: Actor) -> str:
    """The acquirer confirms a capture we asked for and did not get an answer to (timeout, pending):
    recorded as that capture's approval, exactly as the janitor would."""
    if charge.pending_operation != Charge.Operation.CAPTURE:
        return "ignored"
    charge_record_operation(
        intent_id=intent.pk,
        charge_id=charge.pk,
        operation="capture",
        result=Approved(gateway_reference=event.gateway_reference, amount=event.amount),
        actor=actor,
        raise_errors=False,
    )
    return "applied"
