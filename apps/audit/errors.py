"""The errors of the audit log and its compliance exports."""

from apps.core.errors import InvalidRequestError


class AuditExportDateRangeInvalid(InvalidRequestError):
    param = "date_from"
    message = "date_from must be before date_to."
