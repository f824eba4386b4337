"""Verified provider events about charges (registered with apps.connectors.inbound in IntentsConfig)."""

from __future__ import annotations

from apps.audit.services import Actor
from apps.connectors.base import Approved, Declined

from ..models import Charge, PaymentIntent
from ..selectors import charges_by_gateway_reference
from .capture import charge_record_operation
from .common import OPEN_ATTEMPT
from .outcomes import charge_record_authorization


def handled_types() -> tuple[str, ...]:
    """The charge event types this module applies (registered in ``IntentsConfig.ready``)."""
    return (
        "charge.succeeded",
        "charge.authorized",
        "charge.failed",
        "charge.action_returned",
        *LATE_OPERATIONS,
    )


def _charge_of(connector, event) -> Charge | None:
    """The attempt an event is about: by the provider's reference, else by our own (``ch_…``)
    when the provider echoes it — an attempt whose call timed out before the provider's reference
    was known (it has none yet, or the same), or a return from the customer's step."""
    found = (
        charges_by_gateway_reference(event.gateway_reference)
        .filter(connector=connector)
        .select_related("payment_intent")
        .order_by("-id")
        .first()
    )
    if found is not None or not event.reference:
        return found
    found = (
        Charge.objects.filter(connector=connector, public_id=event.reference)
        .select_related("payment_intent")
        .first()
    )
    if found is None:
        return None
    if event.type == "charge.action_returned" or found.gateway_reference in ("", event.gateway_reference):
        return found
    return None  # our reference, but another provider payment: not this one


def charge_apply_inbound_event(*, connector, event) -> str:
    """Maps a verified provider event about a charge to our state. Returns what happened:
    ``applied``, ``ignored`` (already in that state / replay) or ``unknown_reference``."""
    charge = _charge_of(connector, event)
    if charge is None:
        return "unknown_reference"
    actor = Actor.system(f"connector:{connector.code}")
    intent = charge.payment_intent
    capture = intent.capture_method == PaymentIntent.CaptureMethod.AUTOMATIC
    if event.type in LATE_OPERATIONS:
        return _apply_late_operation(intent, charge, event, actor)
    if event.type == "charge.action_returned":
        return _apply_action_return(intent, charge, event, actor)
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
    if charge.status == Charge.Status.REQUIRES_ACTION:
        return _apply_step_outcome(intent, charge, event, actor)
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


def _money_mismatch(charge: Charge, event) -> bool:
    """The event names another amount or currency than the attempt's: not this attempt's outcome."""
    if event.amount is not None and event.amount != charge.amount:
        return True
    return bool(event.currency) and event.currency.lower() != charge.currency.lower()


def _apply_step_outcome(intent: PaymentIntent, charge: Charge, event, actor: Actor) -> str:
    """A redirect or QR provider's signed return / status callback for an attempt waiting on the
    customer: the customer's step is over — paid (``charge.succeeded``), authorized for a manual
    capture (``charge.authorized``, recorded as requires_capture) or failed. Completed like the
    customer's answer on the next-action path, so the adapter verifies the provider's answer once
    more (confirm_redirect / complete_3ds) before anything is recorded; an approval for another
    amount or currency than the attempt's is not completed at all."""
    approved = event.type in ("charge.succeeded", "charge.authorized")
    if approved and _money_mismatch(charge, event):
        return "ignored:amount_mismatch"
    from .next_action import payment_intent_complete_action

    payment_intent_complete_action(
        intent_id=intent.pk, actor=actor, reference=charge.action_reference,
        result="approved" if approved else "failed", payload=dict(event.data or {}), raise_errors=False,
    )  # fmt: skip
    return "applied"


# A provider's answer to a capture or void we sent and got no answer to (timeout, pending, a
# provider that cannot be looked up): (operation, succeeded).
LATE_OPERATIONS = {
    "charge.captured": ("capture", True),
    "charge.capture_failed": ("capture", False),
    "charge.canceled": ("void", True),
    "charge.cancel_failed": ("void", False),
}


def _apply_late_operation(intent: PaymentIntent, charge: Charge, event, actor: Actor) -> str:
    """Recorded as that operation's answer, exactly as the janitor would record a lookup's."""
    operation, succeeded = LATE_OPERATIONS[event.type]
    if charge.pending_operation != operation:
        return "ignored"
    data = event.data or {}
    if succeeded:
        result = Approved(gateway_reference=event.gateway_reference, amount=event.amount)
    else:
        result = Declined(
            code=f"{operation}_failed", decline_code=f"{operation}_failed", network_code="",
            message=str(data.get("reason") or data.get("message") or f"The provider refused the {operation}."),
            gateway_reference=event.gateway_reference,
        )  # fmt: skip
    charge_record_operation(
        intent_id=intent.pk, charge_id=charge.pk, operation=operation, result=result, actor=actor,
        raise_errors=False,
    )  # fmt: skip
    return "applied"


def _apply_action_return(intent: PaymentIntent, charge: Charge, event, actor: Actor) -> str:
    """The customer back from the provider's page with a result only the provider can read
    (Adyen's redirectResult): the adapter's ``complete_3ds`` asks for the outcome."""
    if (
        charge.status != Charge.Status.REQUIRES_ACTION
        or intent.status != PaymentIntent.Status.REQUIRES_ACTION
    ):
        return "ignored"
    from .next_action import payment_intent_complete_action

    payment_intent_complete_action(
        intent_id=intent.pk, actor=actor, reference=charge.action_reference, result="returned",
        payload=dict(event.data or {}), raise_errors=False,
    )  # fmt: skip
    return "applied"
