"""Which status may follow which. Merchant actions and network events both go through here;
a terminal flip (won ↔ lost) is the network's alone and is allowed explicitly."""

from .errors import DisputeUnexpectedState
from .models import Dispute

S = Dispute.Status

TERMINAL = {S.WON, S.LOST, S.WARNING_CLOSED, S.PREVENTED}
AWAITING_RESPONSE = {S.NEEDS_RESPONSE, S.WARNING_NEEDS_RESPONSE}

ALLOWED: dict[str, set[str]] = {
    S.WARNING_NEEDS_RESPONSE: {
        S.WARNING_UNDER_REVIEW,
        S.WARNING_CLOSED,
        S.NEEDS_RESPONSE,
        S.LOST,
        S.PREVENTED,
    },
    S.WARNING_UNDER_REVIEW: {S.WARNING_CLOSED, S.NEEDS_RESPONSE, S.PREVENTED},
    S.WARNING_CLOSED: {S.NEEDS_RESPONSE},  # an inquiry the issuer escalates to a chargeback
    S.NEEDS_RESPONSE: {S.UNDER_REVIEW, S.WON, S.LOST, S.PREVENTED},
    S.UNDER_REVIEW: {S.WON, S.LOST},
    S.WON: {S.LOST},  # network flip
    S.LOST: {S.WON},  # network flip
    S.PREVENTED: set(),
}


def assert_transition(dispute: Dispute, dst: str) -> None:
    if dst != dispute.status and dst not in ALLOWED[dispute.status]:
        raise DisputeUnexpectedState(dispute_status=dispute.status, target=dst)
