"""Completing the customer's step (3DS challenge on the ACS page, wallet approval or QR code)."""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Pending

from ..errors import PaymentIntentAuthenticationFailure
from ..locks import charge_lock, payment_intent_lock
from ..models import Charge, PaymentIntent
from ..transitions import assert_transition, unexpected_state
from .common import REDIRECT_PAYMENT_METHOD_TYPES
from .outcomes import charge_record_authorization
from .payment_methods import card_for, payment_request


def payment_intent_complete_action(
    *,
    intent_id: int,
    actor: Actor,
    result: str,
    reference: str | None = None,
    payload: dict | None = None,
    raise_errors: bool = True,
) -> PaymentIntent:
    """The outcome of the customer's step: ``authenticated``/``approved`` or
    ``failed``/``abandoned``. Replays answer the current state. ``payload``: what the provider
    sent back with the customer (a redirect provider's signed return, verified again by its
    adapter); ``raise_errors`` False records a decline without raising it (callbacks)."""
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        if intent.status != PaymentIntent.Status.REQUIRES_ACTION or intent.latest_charge_id is None:
            raise unexpected_state(intent, "3ds")
        charge = charge_lock(intent.latest_charge_id, intent)
        if charge.status != Charge.Status.REQUIRES_ACTION or (
            reference and reference != charge.action_reference
        ):
            raise PaymentIntentAuthenticationFailure()
        assert_transition(intent, PaymentIntent.Status.PROCESSING, action="3ds")
        charge.status = Charge.Status.SUBMITTING
        charge.save(update_fields=["status", "updated_at"])
        intent.status = PaymentIntent.Status.PROCESSING
        intent.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, action="payment_intent.action_completed", merchant=intent.merchant, obj=intent,
            after={"charge": charge.public_id, "result": result},
        )  # fmt: skip
        action_reference = charge.action_reference
    card = card_for(charge, actor, purpose=f"complete 3DS {charge.public_id}")
    request = payment_request(intent, charge, card=card)
    outcome = gateway.complete_action(
        connector=charge.connector,
        request=request,
        kind="redirect" if charge.payment_method_type in REDIRECT_PAYMENT_METHOD_TYPES else "three_d_secure",
        reference=action_reference,
        payload={**(payload or {}), "result": result},
    )
    if isinstance(outcome, Pending):
        # the provider still waits for the customer: back to requires_action
        return payment_intent_revert_to_action(intent.pk, charge.pk, actor=actor)
    return charge_record_authorization(
        intent_id=intent.pk, charge_id=charge.pk, result=outcome, actor=actor, capture=request.capture,
        raise_errors=raise_errors,
    )  # fmt: skip


def payment_intent_revert_to_action(intent_id: int, charge_id: int, *, actor: Actor) -> PaymentIntent:
    """The customer's step is still open at the provider: the intent waits for it again."""
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        charge = charge_lock(charge_id, intent)
        in_flight = charge.status in (Charge.Status.SUBMITTING, Charge.Status.UNKNOWN)
        if in_flight and intent.status == PaymentIntent.Status.PROCESSING:
            charge.status = Charge.Status.REQUIRES_ACTION
            charge.save(update_fields=["status", "updated_at"])
            intent.status = PaymentIntent.Status.REQUIRES_ACTION
            intent.save(update_fields=["status", "updated_at"])
    return intent
