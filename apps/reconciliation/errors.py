"""The errors of reconciliation (codes, HTTP status and message as clients and staff see them)."""

from apps.core.errors import InvalidRequestError, StateConflictError


class SettlementFileDuplicate(StateConflictError):
    code = "settlement_file_duplicate"
    message = "This file was ingested before as {first_file}; the same file is not ingested twice."


class SettlementFormatInvalid(InvalidRequestError):
    code = "settlement_format_invalid"
    param = "format"
    message = "Unknown format {fmt!r}."


class SettlementMappingRequired(InvalidRequestError):
    code = "settlement_mapping_required"
    param = "mapping"
    message = "A generic CSV needs a saved column mapping."


class DiscrepancyAlreadyResolved(StateConflictError):
    code = "discrepancy_already_resolved"
    message = "Discrepancy {discrepancy} is already resolved ({resolution})."


class DiscrepancyActionInvalid(InvalidRequestError):
    code = "discrepancy_action_invalid"
    param = "action"
    message = "The action {action!r} does not apply to a {kind} discrepancy."


class ResolutionNoteMissing(InvalidRequestError):
    code = "resolution_note_missing"
    param = "note"
    message = "Say why: a resolution needs a note."


class ReconciliationRunUnexpectedState(StateConflictError):
    code = "reconciliation_run_unexpected_state"
    message = "Run {run} has a status of {run_status} and cannot become {target}."


class IntervalInvalid(InvalidRequestError):
    code = "interval_invalid"
    param = "interval_end"
    message = "interval_end must be after interval_start, within {days} days."
