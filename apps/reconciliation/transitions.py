from .errors import ReconciliationRunUnexpectedState
from .models import ReconciliationRun

S = ReconciliationRun.Status
ALLOWED = {
    S.QUEUED: {S.RUNNING, S.FAILED},
    S.RUNNING: {S.COMPLETED, S.FAILED},
    # A re-run of a finished run is a new pass over the same interval (idempotent).
    S.COMPLETED: {S.RUNNING},
    S.FAILED: {S.RUNNING},
}


def assert_transition(run: ReconciliationRun, target: str) -> None:
    if target not in ALLOWED.get(run.status, set()):
        raise ReconciliationRunUnexpectedState(run=run.public_id, run_status=run.status, target=target)
