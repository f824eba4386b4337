from apps.core.errors import StateConflictError


class ApprovalNotPending(StateConflictError):
    """An admin approve/reject on an object whose maker-checker request is not (or no longer) pending."""

    code = "approval_not_pending"
    message = "This {target} has a status of {state} and no pending approval request."
