"""The errors of refunds (codes, HTTP status and message as clients see them).

Template fields never shadow the error's own keyword arguments: a refund's status fills
``{refund_status}``.
"""

from apps.core.errors import ApplicationError, InvalidRequestError, StateConflictError

# --- state ----------------------------------------------------------------------------------


class RefundUnexpectedState(StateConflictError):
    code = "refund_unexpected_state"
    message = "This refund has a status of {refund_status} and cannot become {target}."


class RefundNotAwaitingApproval(RefundUnexpectedState):
    message = "This refund has a status of {refund_status}; only refunds requiring approval can be {done}."


class RefundNotCancelable(RefundUnexpectedState):
    message = "This refund has a status of {refund_status} and can no longer be canceled."


class PaymentIntentNotRefundable(StateConflictError):
    code = "payment_intent_unexpected_state"
    message = "This PaymentIntent has a status of {intent_status} and has no captured charge to refund."
    param = "payment_intent"


class ChargeNotCaptured(StateConflictError):
    code = "charge_not_captured"
    message = "Charge {charge} has not been captured; cancel the PaymentIntent instead."


class ChargeAlreadyRefunded(StateConflictError):
    code = "charge_already_refunded"
    message = "Charge {charge} has already been refunded."


class RefundCancelRefused(ApplicationError):
    """The provider refused to stop a refund it had accepted; it is still pending. 400, a state
    error as Stripe answers it (stripe-python raises InvalidRequestError), not 409 (which the
    SDKs read as "retry")."""

    status = 400
    code = "refund_cancel_failed"
    message = "The connector could not stop this refund; it is still pending."
    stored = False


class RefundCancelUnavailable(RefundCancelRefused):
    """The provider could not be asked to stop the refund; it is still pending."""

    status = 503
    type = "api_error"


# --- input ----------------------------------------------------------------------------------


class RefundTargetMissing(InvalidRequestError):
    code = "parameter_missing"
    message = "One of payment_intent or charge is required."
    param = "payment_intent"


class RefundChargeMissing(InvalidRequestError):
    code = "resource_missing"
    message = "No such charge: '{id}'"
    param = "charge"


class RefundPaymentIntentMissing(InvalidRequestError):
    code = "resource_missing"
    message = "No such payment_intent: '{id}'"
    param = "payment_intent"


class RefundChargeNotOfPaymentIntent(InvalidRequestError):
    code = "parameter_invalid"
    message = "The charge does not belong to this payment_intent."
    param = "charge"


class RefundAmountNotPositive(InvalidRequestError):
    code = "amount_too_small"
    message = "Refund amount must be a positive integer."
    param = "amount"


class RefundAmountTooLarge(InvalidRequestError):
    code = "amount_too_large"
    message = "Refund amount ({amount}) is greater than the unrefunded amount on the charge ({remaining})."
    param = "amount"


class RefundReasonRequired(InvalidRequestError):
    code = "parameter_missing"
    message = "A reason is required to {verb} a refund."
    param = "reason"


class RefundStatusFilterInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid status: {value!r}."
    param = "status"
