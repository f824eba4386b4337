"""The errors of reporting (codes, HTTP status and message as clients see them)."""

from apps.core.errors import ApplicationError, InvalidRequestError, StateConflictError

# --- metrics --------------------------------------------------------------------------------


class MetricUnknown(InvalidRequestError):
    code = "parameter_invalid"
    message = "Unknown metric: {name!r}. Use any of: {known}."
    param = "metrics"


class DimensionUnknown(InvalidRequestError):
    code = "parameter_invalid"
    message = "Unknown dimension: {name!r}. Use any of: {known}."
    param = "group_by"


class GranularityInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid granularity: {value!r}. Use hour or day."
    param = "granularity"


class IntervalInverted(InvalidRequestError):
    code = "parameter_invalid"
    message = "{end_name} must be after {start_name} (the interval is [start, end): start inclusive, end exclusive)."


class IntervalTooLong(InvalidRequestError):
    code = "parameter_invalid"
    message = "The interval is longer than {limit} for this granularity."


class TimezoneUnknown(InvalidRequestError):
    code = "parameter_invalid"
    message = "Unknown time zone: {value!r}. Use an IANA name such as Europe/Berlin."


# --- report runs ----------------------------------------------------------------------------


class ReportTypeUnknown(InvalidRequestError):
    code = "resource_missing"
    message = "No such report type: {value!r}."
    param = "report_type"


class ReportFormatInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid format: {value!r}. Use csv, jsonl or parquet."
    param = "format"


class ReportColumnUnknown(InvalidRequestError):
    code = "parameter_invalid"
    message = "Report type {report} has no column {name!r}."
    param = "parameters[columns]"


class ReportParameterUnknown(InvalidRequestError):
    code = "parameter_unknown"
    message = "Received unknown parameter: parameters[{name}]. Report type {report} takes: {known}."


class ReportIntervalUnavailable(InvalidRequestError):
    code = "report_interval_unavailable"
    message = (
        "{name} is outside the data available for this report: from {available_start} to {available_end}."
    )


class ReportRunNotReady(StateConflictError):
    code = "report_run_not_succeeded"
    message = "This report run has a status of {run_status}; only a succeeded run has a file."


class ReportFileLinkInvalid(ApplicationError):
    status = 403
    type = "permission_error"
    code = "report_file_link_invalid"
    message = "This download link is not valid for this report run."
    stored = False


class ReportFileLinkExpired(ApplicationError):
    status = 403
    type = "permission_error"
    code = "report_file_link_expired"
    message = "This download link expired; fetch the report run again for a fresh one."
    stored = False


# --- settlement report ----------------------------------------------------------------------


class SettlementDateInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid date: {value!r}. Use YYYY-MM-DD."
    param = "date"


# --- report schedules -----------------------------------------------------------------------


class ScheduleFrequencyInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid frequency: {value!r}. Use daily, weekly or monthly."
    param = "frequency"


class ScheduleEndpointNotSubscribed(InvalidRequestError):
    code = "parameter_invalid"
    message = (
        "Webhook endpoint {endpoint} does not receive reporting.report_run.succeeded: add it to the "
        "endpoint's enabled_events (or use another endpoint) so the scheduled report reaches it."
    )
    param = "webhook_endpoint"
