"""The vault's errors: each class carries the code, HTTP status, type, message template and param
that a client sees (apps.core.errors).

The pure modules (cards, banks, crypto) import nothing from Django; apps.core.errors imports
nothing either, so they raise these classes directly: a card that fails validation answers
402 card_error with Stripe's code and param, a bank account 400 invalid_request_error. Neither is
stored for idempotent replay, so the client may fix the input and retry with the same key.
"""

from __future__ import annotations

from apps.core.errors import ApiError, CardError, InvalidRequestError, StateConflictError

# The generic parameter errors are the core's; vault callers import them from here too.
from apps.core.errors import ParameterInvalid as ParameterInvalid
from apps.core.errors import ParameterInvalidInteger as ParameterInvalidInteger
from apps.core.errors import ParameterMissing as ParameterMissing
from apps.core.errors import ParameterUnknown as ParameterUnknown

# --- card validation (apps.vault.cards) -----------------------------------------------------------


class CardValidationError(CardError):
    """A card that fails number / expiry / CVC validation (Stripe answers 402 card_error)."""

    stored = False


class CardNumberInvalid(CardValidationError):
    code = "invalid_number"
    param = "card[number]"
    message = "Your card number is not a valid credit card number."


class CardNumberIncorrect(CardValidationError):
    code = "incorrect_number"
    param = "card[number]"
    message = "Your card number is incorrect."


class CardExpiryMonthInvalid(CardValidationError):
    code = "invalid_expiry_month"
    param = "card[exp_month]"
    message = "Your card's expiration month is invalid."


class CardExpiryYearInvalid(CardValidationError):
    code = "invalid_expiry_year"
    param = "card[exp_year]"
    message = "Your card's expiration year is invalid."


class CardExpired(CardValidationError):
    code = "expired_card"
    param = "card[exp_month]"
    message = "Your card has expired."


class CardExpiryYearPast(CardExpired):
    param = "card[exp_year]"
    message = "Your card's expiration year is in the past."


class CardCvcInvalid(CardValidationError):
    code = "invalid_cvc"
    param = "card[cvc]"
    message = "Your card's security code is invalid."


# --- bank account validation (apps.vault.banks) ---------------------------------------------------


class BankValidationError(InvalidRequestError):
    """A bank account (IBAN, routing or account number) that fails validation."""


class IbanInvalid(BankValidationError):
    code = "invalid_bank_account_iban"
    param = "sepa_debit[iban]"
    message = "The IBAN you provided is invalid."


class IbanCountryUnsupported(IbanInvalid):
    message = "The IBAN country {country} is not supported."


class IbanLengthInvalid(IbanInvalid):
    message = "IBANs from {country} have {length} characters."


class IbanNotSepa(IbanInvalid):
    message = "IBANs from {country} cannot be used for SEPA Direct Debit."


class RoutingNumberInvalid(BankValidationError):
    code = "routing_number_invalid"
    param = "us_bank_account[routing_number]"
    message = "The routing number you provided is invalid."


class RoutingNumberLengthInvalid(RoutingNumberInvalid):
    message = "Routing numbers have 9 digits."


class AccountNumberInvalid(BankValidationError):
    code = "account_number_invalid"
    param = "us_bank_account[account_number]"
    message = "The account number you provided is invalid (4 to 17 digits)."


class AccountNumberIsRoutingNumber(AccountNumberInvalid):
    message = "The account number cannot be the routing number."


class BankAccountTypeInvalid(BankValidationError):
    code = "parameter_invalid"
    param = "us_bank_account[account_type]"
    message = "account_type must be checking or savings."


class BankAccountHolderTypeInvalid(BankValidationError):
    code = "parameter_invalid"
    param = "us_bank_account[account_holder_type]"
    message = "account_holder_type must be individual or company."


# --- payment methods ------------------------------------------------------------------------------


class PaymentMethodUnexpectedState(StateConflictError):
    code = "payment_method_unexpected_state"
    param = "payment_method"
    message = "The payment method is in a state that does not allow this operation."


class PaymentMethodDeleted(PaymentMethodUnexpectedState):
    message = "The payment method {payment_method} has been deleted and cannot be used."


class PaymentMethodAlreadyAttached(PaymentMethodUnexpectedState):
    message = "The payment method you provided has already been attached to a customer."


class PaymentMethodNotAttached(PaymentMethodUnexpectedState):
    message = "The payment method {payment_method} is not attached to a customer."


class PaymentMethodDefaultNeedsCustomer(InvalidRequestError):
    """Refused before anything changed, so (unlike the state conflicts) not stored for replay."""

    code = "payment_method_unexpected_state"
    param = "is_default"
    message = "Only a payment method attached to a customer can be its default."


class PaymentMethodInvalidParameter(InvalidRequestError):
    code = "payment_method_invalid_parameter"
    param = "payment_method"
    message = "This payment method cannot be used here."


class PaymentMethodNotVaulted(PaymentMethodInvalidParameter):
    message = "Payment methods of type {payment_method_type} hold no vaulted number."


class PaymentMethodVerifiedByWallet(PaymentMethodInvalidParameter):
    message = "Payment methods of type {payment_method_type} are verified by their wallet provider."


class ConsentRequired(InvalidRequestError):
    code = "consent_required"
    param = "allow_redisplay"
    message = (
        "Saving a payment method to a customer needs the customer's consent: pass "
        "allow_redisplay=always (may be shown again) or limited (use only for this purpose)."
    )


class ConsentKept(ConsentRequired):
    message = "A payment method saved to a customer keeps its consent; detach it first."


# --- tokens ---------------------------------------------------------------------------------------


class TokenAlreadyUsed(InvalidRequestError):
    code = "token_already_used"
    param = "token"
    message = "You cannot use a Stripe token more than once: {token}."


class TokenExpired(InvalidRequestError):
    code = "token_expired"
    param = "token"
    message = "The token {token} has expired; tokenize the card again."


# --- verification ---------------------------------------------------------------------------------


class MicrodepositsNotSent(PaymentMethodUnexpectedState):
    param = "amounts"
    message = "No micro-deposits were sent yet: call verify without amounts first."


class MicrodepositAttemptsExceeded(StateConflictError):
    code = "payment_method_microdeposit_verification_attempts_exceeded"
    param = "amounts"
    message = "Too many wrong micro-deposit amounts: this bank account can no longer be verified."


class MicrodepositAmountsInvalid(InvalidRequestError):
    code = "payment_method_microdeposit_verification_amounts_invalid"
    param = "amounts"
    message = "Provide exactly two micro-deposit amounts."


class MicrodepositAmountsMismatch(InvalidRequestError):
    """Stored: the wrong answer was counted, a replay must not count it again."""

    code = "payment_method_microdeposit_verification_amounts_mismatch"
    param = "amounts"
    message = "The amounts provided do not match the micro-deposits; {remaining} attempt(s) left."
    stored = True


class CardVerificationDeclined(CardError):
    """The issuer declined the zero-amount authorization; its code replaces card_declined."""


class CardVerificationNeedsAuthentication(CardError):
    code = "authentication_required"
    message = "This card needs authentication (3D Secure) and cannot be verified without the customer."


class CardVerificationUnavailable(CardError):
    code = "processing_error"
    message = "The card could not be verified right now. Try again."
    stored = False


# --- what each action can raise (the API views declare these in the OpenAPI schema) ---------------

CARD_VALIDATION_ERRORS = (
    CardNumberInvalid,
    CardNumberIncorrect,
    CardExpiryMonthInvalid,
    CardExpiryYearInvalid,
    CardExpired,
    CardCvcInvalid,
)
CREATE_ERRORS = (
    *CARD_VALIDATION_ERRORS,
    IbanInvalid,
    RoutingNumberInvalid,
    AccountNumberInvalid,
    ParameterInvalid,
    ParameterMissing,
    ConsentRequired,
    TokenAlreadyUsed,
    TokenExpired,
)
UPDATE_ERRORS = (
    ParameterUnknown,
    CardExpiryMonthInvalid,
    CardExpiryYearInvalid,
    CardExpired,
    ConsentKept,
    PaymentMethodDefaultNeedsCustomer,
)
ATTACH_ERRORS = (ConsentRequired, PaymentMethodAlreadyAttached)
DETACH_ERRORS = (PaymentMethodNotAttached,)
VERIFY_ERRORS = (
    ParameterUnknown,
    PaymentMethodVerifiedByWallet,
    MicrodepositsNotSent,
    MicrodepositAttemptsExceeded,
    MicrodepositAmountsInvalid,
    MicrodepositAmountsMismatch,
    CardVerificationDeclined,
    CardVerificationNeedsAuthentication,
    CardVerificationUnavailable,
)


# --- keys and ciphertext (apps.vault.crypto) ------------------------------------------------------
# Operator faults, not client errors: deliberately outside apps.core.errors, so a request that
# meets one answers the generic 500 and never shows key details to the client.


class VaultKeyError(Exception):
    """Key configuration problem: missing, malformed, or a retired key version still in use."""


class VaultDecryptionError(Exception):
    """Ciphertext or wrapped key failed authentication (wrong key, wrong AAD, or tampering)."""


class VaultDemoKeyRefused(ApiError):
    """A live-mode write met the repository's demo vault key (apps.vault.crypto). The operator sees
    which key in the log; the client a 503 that names no key, and may retry once it is fixed."""

    status = 503
    code = "livemode_unavailable"
    message = (
        "Live-mode payment details cannot be stored: this server's vault is not configured for "
        "live mode. Use a test-mode key, or ask the operator to set its vault keys."
    )
    stored = False
