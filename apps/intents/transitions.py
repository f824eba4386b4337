"""The lifecycle tables of DESIGN.md §3. Status changes only through services, which check here."""

from .errors import ChargeUnexpectedState, PaymentIntentUnexpectedState
from .models import Charge, PaymentIntent

ALLOWED: dict[str, set[str]] = {
    PaymentIntent.Status.REQUIRES_PAYMENT_METHOD: {
        PaymentIntent.Status.REQUIRES_CONFIRMATION,
        PaymentIntent.Status.PROCESSING,
        PaymentIntent.Status.CANCELED,
    },
    PaymentIntent.Status.REQUIRES_CONFIRMATION: {
        PaymentIntent.Status.REQUIRES_PAYMENT_METHOD,
        PaymentIntent.Status.PROCESSING,
        PaymentIntent.Status.CANCELED,
    },
    # a 3DS / wallet step: completed (processing), failed or abandoned (requires_payment_method)
    PaymentIntent.Status.REQUIRES_ACTION: {
        PaymentIntent.Status.PROCESSING,
        PaymentIntent.Status.REQUIRES_PAYMENT_METHOD,
        PaymentIntent.Status.CANCELED,
    },
    PaymentIntent.Status.PROCESSING: {
        PaymentIntent.Status.REQUIRES_ACTION,
        PaymentIntent.Status.REQUIRES_CAPTURE,
        PaymentIntent.Status.SUCCEEDED,
        PaymentIntent.Status.REQUIRES_PAYMENT_METHOD,  # declined attempt (last_payment_error)
        PaymentIntent.Status.FAILED,
        PaymentIntent.Status.CANCELED,  # void recorded / expired during a capture
    },
    # capture or void in flight → processing; expiry → canceled
    PaymentIntent.Status.REQUIRES_CAPTURE: {
        PaymentIntent.Status.PROCESSING,
        PaymentIntent.Status.SUCCEEDED,
        PaymentIntent.Status.CANCELED,
    },
    PaymentIntent.Status.SUCCEEDED: set(),
    PaymentIntent.Status.FAILED: set(),
    PaymentIntent.Status.CANCELED: set(),
}
# processing may go back to requires_capture when a capture/void is refused or never reached the provider
ALLOWED[PaymentIntent.Status.PROCESSING].add(PaymentIntent.Status.REQUIRES_CAPTURE)

CHARGE_ALLOWED: dict[str, set[str]] = {
    Charge.Status.SUBMITTING: {
        Charge.Status.UNKNOWN,
        Charge.Status.PENDING,
        Charge.Status.REQUIRES_ACTION,
        Charge.Status.AUTHORIZED,
        Charge.Status.SUCCEEDED,
        Charge.Status.FAILED,
    },
    Charge.Status.UNKNOWN: {
        Charge.Status.PENDING,
        Charge.Status.REQUIRES_ACTION,
        Charge.Status.AUTHORIZED,
        Charge.Status.SUCCEEDED,
        Charge.Status.FAILED,
    },
    Charge.Status.PENDING: {
        Charge.Status.UNKNOWN,
        Charge.Status.REQUIRES_ACTION,
        Charge.Status.AUTHORIZED,
        Charge.Status.SUCCEEDED,
        Charge.Status.FAILED,
    },
    Charge.Status.REQUIRES_ACTION: {Charge.Status.SUBMITTING, Charge.Status.CANCELED, Charge.Status.FAILED},
    Charge.Status.AUTHORIZED: {Charge.Status.SUCCEEDED, Charge.Status.CANCELED},
    Charge.Status.SUCCEEDED: set(),
    Charge.Status.FAILED: set(),
    Charge.Status.CANCELED: set(),
}

ACTION_VERBS = {
    "confirm": "confirm",
    "capture": "capture",
    "cancel": "cancel",
    "update": "update",
    "3ds": "complete 3D Secure authentication for",
}


def unexpected_state(
    intent: PaymentIntent, action: str, *, extra: dict | None = None
) -> PaymentIntentUnexpectedState:
    """The error for `action` refused in the intent's current status (the caller raises it)."""
    return PaymentIntentUnexpectedState(
        verb=ACTION_VERBS.get(action, action),
        intent_status=intent.status,
        extra={"status": intent.status, **(extra or {})},
    )


def assert_transition(intent: PaymentIntent, dst: str, *, action: str) -> None:
    if dst != intent.status and dst not in ALLOWED[intent.status]:
        raise unexpected_state(intent, action)


def assert_charge_transition(charge: Charge, dst: str) -> None:
    if dst != charge.status and dst not in CHARGE_ALLOWED[charge.status]:
        raise ChargeUnexpectedState(charge=charge.public_id, source=charge.status, target=dst)
