"""The lifecycle tables of DESIGN.md §3. Status changes only through services, which check here."""

from apps.core.errors import StateConflictError

from .models import Charge, PaymentIntent

S = PaymentIntent.Status
C = Charge.Status

ALLOWED: dict[str, set[str]] = {
    S.REQUIRES_PAYMENT_METHOD: {S.REQUIRES_CONFIRMATION, S.PROCESSING, S.CANCELED},
    S.REQUIRES_CONFIRMATION: {S.REQUIRES_PAYMENT_METHOD, S.PROCESSING, S.CANCELED},
    # a 3DS / wallet step: completed (processing), failed or abandoned (requires_payment_method)
    S.REQUIRES_ACTION: {S.PROCESSING, S.REQUIRES_PAYMENT_METHOD, S.CANCELED},
    S.PROCESSING: {
        S.REQUIRES_ACTION,
        S.REQUIRES_CAPTURE,
        S.SUCCEEDED,
        S.REQUIRES_PAYMENT_METHOD,  # declined attempt (last_payment_error)
        S.FAILED,
        S.CANCELED,  # void recorded / expired during a capture
    },
    # capture or void in flight → processing; expiry → canceled
    S.REQUIRES_CAPTURE: {S.PROCESSING, S.SUCCEEDED, S.CANCELED},
    S.SUCCEEDED: set(),
    S.FAILED: set(),
    S.CANCELED: set(),
}
# processing may go back to requires_capture when a capture/void is refused or never reached the provider
ALLOWED[S.PROCESSING].add(S.REQUIRES_CAPTURE)

CHARGE_ALLOWED: dict[str, set[str]] = {
    C.SUBMITTING: {C.UNKNOWN, C.PENDING, C.REQUIRES_ACTION, C.AUTHORIZED, C.SUCCEEDED, C.FAILED},
    C.UNKNOWN: {C.PENDING, C.REQUIRES_ACTION, C.AUTHORIZED, C.SUCCEEDED, C.FAILED},
    C.PENDING: {C.UNKNOWN, C.REQUIRES_ACTION, C.AUTHORIZED, C.SUCCEEDED, C.FAILED},
    C.REQUIRES_ACTION: {C.SUBMITTING, C.CANCELED, C.FAILED},
    C.AUTHORIZED: {C.SUCCEEDED, C.CANCELED},
    C.SUCCEEDED: set(),
    C.FAILED: set(),
    C.CANCELED: set(),
}

ACTION_VERBS = {
    "confirm": "confirm",
    "capture": "capture",
    "cancel": "cancel",
    "update": "update",
    "3ds": "complete 3D Secure authentication for",
}


def unexpected_state(intent: PaymentIntent, action: str, *, extra: dict | None = None) -> StateConflictError:
    verb = ACTION_VERBS.get(action, action)
    return StateConflictError(
        f"You cannot {verb} this PaymentIntent because it has a status of {intent.status}.",
        code="payment_intent_unexpected_state",
        extra={"status": intent.status, **(extra or {})},
    )


def assert_transition(intent: PaymentIntent, dst: str, *, action: str) -> None:
    if dst != intent.status and dst not in ALLOWED[intent.status]:
        raise unexpected_state(intent, action)


def assert_charge_transition(charge: Charge, dst: str) -> None:
    if dst != charge.status and dst not in CHARGE_ALLOWED[charge.status]:
        raise StateConflictError(
            f"Charge {charge.public_id} cannot go from {charge.status} to {dst}.",
            code="charge_unexpected_state",
        )
