from .errors import RefundUnexpectedState
from .models import Refund

ALLOWED: dict[str, set[str]] = {
    Refund.Status.REQUIRES_APPROVAL: {Refund.Status.PENDING, Refund.Status.CANCELED},
    Refund.Status.PENDING: {
        Refund.Status.REQUIRES_ACTION,
        Refund.Status.SUCCEEDED,
        Refund.Status.FAILED,
        Refund.Status.CANCELED,
    },
    Refund.Status.REQUIRES_ACTION: {
        Refund.Status.PENDING,
        Refund.Status.SUCCEEDED,
        Refund.Status.FAILED,
        Refund.Status.CANCELED,
    },
    Refund.Status.SUCCEEDED: set(),
    Refund.Status.FAILED: set(),
    Refund.Status.CANCELED: set(),
}


def assert_transition(refund: Refund, dst: str) -> None:
    if dst != refund.status and dst not in ALLOWED[refund.status]:
        raise RefundUnexpectedState(refund_status=refund.status, target=dst, extra={"status": refund.status})
