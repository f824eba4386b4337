"""The payouts app's errors (apps.core.errors): each class carries its code, status and message."""

from apps.core.errors import InvalidRequestError, StateConflictError

# One class per generic parameter code, shared with the ledger (the layer below).
from apps.ledger.errors import ParameterInvalid as ParameterInvalid
from apps.ledger.errors import ParameterInvalidInteger as ParameterInvalidInteger
from apps.ledger.errors import ParameterMissing as ParameterMissing
from apps.ledger.errors import ReasonMissing as ReasonMissing


class BankAccountInvalid(InvalidRequestError):
    """A bank account number, routing number or IBAN that fails validation; the code is the
    validator's (e.g. invalid_iban, routing_number_invalid)."""

    code = "bank_account_invalid"


class BankAccountMissing(InvalidRequestError):
    code = "bank_account_missing"
    message = "There is no default bank account for {currency}; add one or pass destination."
    param = "destination"


class PayoutCurrencyMismatch(InvalidRequestError):
    code = "payout_currency_mismatch"
    message = "The destination bank account is in {account_currency}, not {currency}."
    param = "currency"


class BankAccountInUse(StateConflictError):
    code = "bank_account_in_use"
    message = "This bank account has payouts on the way."
    param = "id"


class BankAccountIsDefault(StateConflictError):
    code = "bank_account_is_default"
    message = "You cannot delete the default bank account for a currency; make another one the default first."
    param = "id"


class PayoutNotCancelable(StateConflictError):
    code = "payout_not_cancelable"
    message = "Only pending payouts not yet sent to the bank can be canceled; this one is {payout_status}."


class PayoutUnexpectedState(StateConflictError):
    code = "payout_unexpected_state"
    message = "A payout cannot go from {src} to {dst}."


class PayoutNotAwaitingApproval(PayoutUnexpectedState):
    message = "This payout does not wait for approval (status {payout_status}, approval {approval})."


class PayoutCannotFail(PayoutUnexpectedState):
    message = "A {payout_status} payout cannot be marked failed."
