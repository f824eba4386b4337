"""The errors of disputes (codes, HTTP status and message as clients see them).

Template fields never shadow the error's own keyword arguments: a dispute's status fills
``{dispute_status}``.
"""

from apps.core.errors import ApplicationError, InvalidRequestError, StateConflictError

# --- state ----------------------------------------------------------------------------------


class DisputeUnexpectedState(StateConflictError):
    code = "dispute_unexpected_state"
    message = "This dispute has a status of {dispute_status} and cannot become {target}."


class DisputeAlreadySubmitted(StateConflictError):
    code = "dispute_already_submitted"
    message = "Evidence for this dispute has already been submitted; a dispute has one submission."


class DisputeAlreadyClosed(StateConflictError):
    code = "dispute_already_closed"
    message = "This dispute has a status of {dispute_status} and is closed."


class DisputeEvidencePastDue(StateConflictError):
    code = "dispute_evidence_past_due"
    message = "The deadline to respond to this dispute has passed."


class DisputeSubmissionRefused(StateConflictError):
    """The connector refused the evidence; nothing was recorded and the slot is still free."""

    code = "dispute_submission_refused"
    message = "The connector refused the evidence: {detail}"
    stored = False


class DisputeSubmissionUnavailable(ApplicationError):
    """The connector could not be reached; nothing was recorded, the request can be retried."""

    status = 503
    type = "api_error"
    code = "dispute_submission_unavailable"
    message = "The connector could not take the evidence now; nothing was submitted. Retry later."
    stored = False


# --- input ----------------------------------------------------------------------------------


class DisputeEvidenceFieldUnknown(InvalidRequestError):
    code = "parameter_unknown"
    message = "Received unknown parameter: evidence[{field}]"


class DisputeEvidenceValueInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "evidence[{field}] must be a string."


class DisputeEvidenceFileMissing(InvalidRequestError):
    """A file id that is not one of the merchant's files (another merchant's file included)."""

    code = "resource_missing"
    message = "evidence[{field}]: No such file: '{file_id}'. Upload it with POST /v1/files first."


class DisputeEvidenceFilePurpose(InvalidRequestError):
    code = "parameter_invalid"
    message = "evidence[{field}] must be a file uploaded with purpose dispute_evidence."


class DisputeEvidenceFilesTooLarge(InvalidRequestError):
    code = "dispute_evidence_files_too_large"
    message = "The evidence files together have {size} bytes; the networks take at most {limit} per dispute."
    param = "evidence"


class DisputeEvidenceTooLong(InvalidRequestError):
    code = "dispute_evidence_too_long"
    message = "The evidence text fields together have {length} characters; the limit is {limit}."
    param = "evidence"


class DisputeStatusFilterInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid status: {value!r}."
    param = "status"
