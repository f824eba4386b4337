"""The ledger's errors (apps.core.errors): each class carries its code, status and message."""

from apps.core.errors import InvalidRequestError, StateConflictError


class ParameterInvalid(InvalidRequestError):
    code = "parameter_invalid"


class ParameterInvalidInteger(InvalidRequestError):
    code = "parameter_invalid_integer"


class ParameterMissing(InvalidRequestError):
    code = "parameter_missing"


class ReasonMissing(ParameterMissing):
    message = "A reason is required."
    param = "reason"


class SplitPercentagesInvalid(InvalidRequestError):
    code = "split_percentages_invalid"
    message = (
        "Split percentages must total 100% (10000 basis points); they total {percent}% "
        "({total} basis points)."
    )


class LedgerError(StateConflictError):
    """A posting the books refuse."""


class ConvertedAmountTooSmall(LedgerError):
    code = "amount_too_small"
    message = "The converted amount rounds to zero."
    param = "amount"


class RefundExceedsCapture(LedgerError):
    code = "ledger_refund_exceeds_capture"
    message = "Refund of {amount} exceeds what is left of the capture ({left})."
    param = "amount"


class DisputeNotDebited(LedgerError):
    code = "ledger_dispute_not_debited"
    message = "No dispute debit posted for {dispute_id}."


class DisputeUnreversible(LedgerError):
    code = "ledger_dispute_unreversible"
    message = "Cannot reverse this dispute debit."


class BalanceInsufficient(LedgerError):
    code = "balance_insufficient"
    message = "Insufficient available balance: {available} {currency} available, {amount} requested."
    param = "amount"
