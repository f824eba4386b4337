"""The errors of payment intents and charges (codes, HTTP status and message as clients see them).

Template fields are named so they never shadow the error's own keyword arguments (``status``,
``code``, ``param``, ``type`` …): a PaymentIntent's status fills ``{intent_status}``.
"""

from apps.core.errors import (
    ApplicationError,
    CardError,
    InvalidRequestError,
    PermissionDeniedError,
    StateConflictError,
)

# --- state ----------------------------------------------------------------------------------


class PaymentIntentUnexpectedState(StateConflictError):
    code = "payment_intent_unexpected_state"
    message = "You cannot {verb} this PaymentIntent because it has a status of {intent_status}."


class ChargeUnexpectedState(StateConflictError):
    code = "charge_unexpected_state"
    message = "Charge {charge} cannot go from {source} to {target}."


class PaymentIntentAuthenticationFailure(StateConflictError):
    code = "payment_intent_authentication_failure"
    message = "This authentication session is unknown or already completed."
    param = "reference"


class ChargeExpiredForCapture(StateConflictError):
    code = "charge_expired_for_capture"
    message = "The authorization has expired and can no longer be captured."


class CaptureFailed(StateConflictError):
    code = "capture_failed"
    message = "The connector refused the operation."


class VoidFailed(StateConflictError):
    code = "void_failed"
    message = "The connector refused the operation."


# --- the connector --------------------------------------------------------------------------


class PaymentConnectorUnavailable(ApplicationError):
    """The attempt never reached the provider; the intent is back in requires_payment_method."""

    status = 503
    type = "api_error"
    code = "connector_unavailable"
    message = "The payment could not be sent to the connector ({reason}); try again."


class OperationConnectorUnavailable(PaymentConnectorUnavailable):
    """A capture or void never reached the provider; the intent is back in requires_capture."""

    message = "The {operation} could not be sent to the connector ({reason}); try again."
    stored = False


class PaymentDeclined(CardError):
    """The attempt was declined; ``code`` and ``decline_code`` are the provider's."""


# --- input ----------------------------------------------------------------------------------


class AmountNotPositive(InvalidRequestError):
    code = "amount_too_small"
    message = "Amount must be a positive integer."
    param = "amount"


class AmountAboveMaximum(InvalidRequestError):
    code = "amount_too_large"
    message = "Amount must be no more than {limit} (this account's maximum authorization amount)."
    param = "amount"


class CaptureAmountNotPositive(InvalidRequestError):
    code = "amount_too_small"
    message = "amount_to_capture must be a positive integer."
    param = "amount_to_capture"


class CaptureAmountTooLarge(InvalidRequestError):
    code = "amount_too_large"
    message = "amount_to_capture ({amount}) is greater than the amount capturable ({capturable})."
    param = "amount_to_capture"


class PaymentMethodMissing(InvalidRequestError):
    code = "resource_missing"
    message = "No such PaymentMethod: '{id}'"
    param = "payment_method"


class PaymentMethodDeleted(InvalidRequestError):
    code = "resource_missing"
    message = "PaymentMethod '{id}' was deleted and can no longer be used."
    param = "payment_method"


class PaymentMethodTokenConsumed(InvalidRequestError):
    code = "payment_method_token_consumed"
    message = (
        "PaymentMethod '{id}' holds a single-use {provider} payment token an earlier authorization"
        " already spent; tokenize the card again."
    )
    param = "payment_method"


class CustomerMissing(InvalidRequestError):
    code = "resource_missing"
    message = "No such customer: '{id}'"
    param = "customer"


class PaymentMethodTypeInvalid(InvalidRequestError):
    code = "payment_method_type_invalid"
    message = "The payment method type {pm_type!r} is invalid or not enabled for this account."


class PaymentMethodIncompatible(InvalidRequestError):
    code = "payment_intent_incompatible_payment_method"
    message = "The PaymentMethod's type {pm_type!r} is not in this PaymentIntent's payment_method_types."
    param = "payment_method"


class PaymentMethodDataIncompatible(PaymentMethodIncompatible):
    message = "payment_method_data[type] {pm_type!r} is not in payment_method_types."
    param = "payment_method_data[type]"


class PaymentMethodCustomerMismatch(InvalidRequestError):
    code = "payment_method_customer_mismatch"
    message = (
        "The PaymentMethod is attached to another customer; pass that customer or another payment method."
    )
    param = "payment_method"


class PaymentMethodRequired(InvalidRequestError):
    code = "parameter_missing"
    message = "You cannot confirm this PaymentIntent because it's missing a payment method."
    param = "payment_method"


class ReturnUrlRequired(InvalidRequestError):
    code = "parameter_missing"
    message = "A return_url is required to confirm a redirect payment method."
    param = "return_url"


class ClientSecretRequired(PermissionDeniedError):
    code = "secret_key_required"
    message = "A publishable key needs the PaymentIntent's client_secret."


class ClientSecretMismatch(InvalidRequestError):
    code = "parameter_invalid"
    message = "The client_secret does not match this PaymentIntent."
    param = "client_secret"


class StatusFilterInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "Invalid status: {value!r}."
    param = "status"


class MetadataFilterUnknown(InvalidRequestError):
    code = "parameter_unknown"
    message = "Only metadata[order_id] can be filtered on."
