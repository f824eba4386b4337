"""Errors of the maker-checker queue (apps.core.errors vocabulary)."""

from apps.core.errors import PermissionDeniedError, StateConflictError


class ApprovalAlreadyPending(StateConflictError):
    code = "approval_already_pending"
    message = "An approval for {target_type} {target_id} is already pending."
    param = "target_id"


class ApprovalNotPending(StateConflictError):
    code = "approval_not_pending"
    message = "This approval request is already {status}."


class ApprovalSelfDecision(PermissionDeniedError):
    code = "approval_self_decision"
    message = "An approval cannot be decided by the person who requested it."


class ApprovalPermissionMissing(PermissionDeniedError):
    code = "approval_permission_missing"
    message = "Deciding {kind} approvals needs the {permission} permission."
