from apps.core.errors import StateConflictError

from .models import Refund

R = Refund.Status

ALLOWED: dict[str, set[str]] = {
    R.REQUIRES_APPROVAL: {R.PENDING, R.CANCELED},
    R.PENDING: {R.REQUIRES_ACTION, R.SUCCEEDED, R.FAILED, R.CANCELED},
    R.REQUIRES_ACTION: {R.PENDING, R.SUCCEEDED, R.FAILED, R.CANCELED},
    R.SUCCEEDED: set(),
    R.FAILED: set(),
    R.CANCELED: set(),
}


def assert_transition(refund: Refund, dst: str) -> None:
    if dst != refund.status and dst not in ALLOWED[refund.status]:
        raise StateConflictError(
            f"This refund has a status of {refund.status} and cannot become {dst}.",
            code="refund_unexpected_state",
            extra={"status": refund.status},
        )
