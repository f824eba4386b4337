from .errors import PayoutUnexpectedState
from .models import Payout

ALLOWED = {
    Payout.Status.PENDING: {Payout.Status.IN_TRANSIT, Payout.Status.CANCELED, Payout.Status.FAILED},
    Payout.Status.IN_TRANSIT: {Payout.Status.PAID, Payout.Status.FAILED},
    Payout.Status.PAID: set(),
    Payout.Status.FAILED: set(),
    Payout.Status.CANCELED: set(),
}


def assert_transition(src: str, dst: str) -> None:
    if dst not in ALLOWED.get(src, set()):
        raise PayoutUnexpectedState(src=src, dst=dst)
