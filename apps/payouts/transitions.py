from apps.core.errors import StateConflictError

from .models import Payout

P = Payout.Status

ALLOWED = {
    P.PENDING: {P.IN_TRANSIT, P.CANCELED, P.FAILED},
    P.IN_TRANSIT: {P.PAID, P.FAILED},
    P.PAID: set(),
    P.FAILED: set(),
    P.CANCELED: set(),
}


def assert_transition(src: str, dst: str) -> None:
    if dst not in ALLOWED.get(src, set()):
        raise StateConflictError(f"A payout cannot go from {src} to {dst}.", code="payout_unexpected_state")
