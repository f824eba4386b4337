"""The errors of the developer platform (test helpers, bulk jobs, diagnostics)."""

from apps.core.errors import ApplicationError, InvalidRequestError, StateConflictError


class TestHelpersUnavailable(ApplicationError):
    """Test helpers exist in test mode only, and never in production: a live key (or any key on
    a production deployment) sees them exactly as a path that does not exist."""

    __test__ = False  # not a pytest test class
    status = 404
    code = "resource_missing"
    message = "Unrecognized request URL ({method}: {path})."
    stored = False


class SimulationTypeUnknown(InvalidRequestError):
    code = "simulation_type_unknown"
    param = "type"
    message = "Unknown simulation type '{value}'. Supported: {supported}."
    stored = False


class SimulationObjectInvalid(InvalidRequestError):
    code = "simulation_object_invalid"
    param = "object"
    message = "The simulation {kind} needs {expected}, got '{value}'."
    stored = False


class SimulationNotApplicable(StateConflictError):
    code = "simulation_not_applicable"
    param = "object"
    message = "{kind} cannot be simulated on {target}: {detail}"
    stored = False


class SimulationParameterInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid {name}: {detail}"
    stored = False


class BulkUploadInvalid(InvalidRequestError):
    code = "bulk_upload_invalid"
    param = "file"
    message = "The upload cannot be read as a bulk job: {detail}"
    stored = False


class BulkJobNotCancelable(StateConflictError):
    code = "bulk_job_not_cancelable"
    message = "This job has a status of {job_status} and can no longer be canceled."


class BulkJobNotAwaitingApproval(StateConflictError):
    code = "bulk_job_not_awaiting_approval"
    message = "This job has a status of {job_status}; it is not waiting for a checker."


class BulkJobNotDraft(StateConflictError):
    code = "bulk_job_not_draft"
    message = "This job has a status of {job_status}; only a draft can be started."


class TestClockExists(StateConflictError):
    """One clock per merchant and mode: two would claim the same objects."""

    __test__ = False
    code = "test_clock_exists"
    param = "frozen_time"
    message = "This account already has a test clock ({existing}); delete it before creating another."
    stored = False


class TestClockNotReady(StateConflictError):
    __test__ = False
    code = "test_clock_not_ready"
    message = "The test clock {clock} has a status of {clock_status}; it can be advanced once it is ready."
    stored = False


class TestClockTimeInvalid(InvalidRequestError):
    __test__ = False
    code = "parameter_invalid"
    param = "frozen_time"
    message = (
        "frozen_time must be later than the clock's current time ({current}) and at most two years after it."
    )
    stored = False
