"""Square error codes and payment statuses → Clearhouse results and Stripe-style decline codes.

Source: Square API reference, "Errors" / ErrorCode enum (https://developer.squareup.com/reference/square/enums/ErrorCode,
also ``square.types.error_code`` in squareup 46.0.0.20260916) and "Payments API: handle errors"
(https://developer.squareup.com/docs/payments-api/error-codes): a declined card payment answers
HTTP 400 with ``errors[{"category": "PAYMENT_METHOD_ERROR", "code": "CARD_DECLINED" | …}]`` and the
FAILED ``payment``. ``CARD_DECLINED_VERIFICATION_REQUIRED`` asks for buyer verification (SCA).
"""

from __future__ import annotations

from apps.connectors import declines

# Square error code → (Stripe-style decline_code, Declined.code)
ERROR_CODES: dict[str, tuple[str, str]] = {
    "GENERIC_DECLINE": ("generic_decline", "card_declined"),
    "CARD_DECLINED": ("generic_decline", "card_declined"),
    "CVV_FAILURE": ("incorrect_cvc", "incorrect_cvc"),
    "VERIFY_CVV_FAILURE": ("incorrect_cvc", "incorrect_cvc"),
    "ADDRESS_VERIFICATION_FAILURE": ("incorrect_zip", "card_declined"),
    "VERIFY_AVS_FAILURE": ("incorrect_zip", "card_declined"),
    "INVALID_POSTAL_CODE": ("incorrect_zip", "card_declined"),
    "INVALID_ACCOUNT": ("invalid_account", "card_declined"),
    "ACCOUNT_UNUSABLE": ("invalid_account", "card_declined"),
    "CARD_EXPIRED": ("expired_card", "expired_card"),
    "INVALID_EXPIRATION": ("invalid_expiry_year", "expired_card"),
    "BAD_EXPIRATION": ("invalid_expiry_year", "expired_card"),
    "EXPIRATION_FAILURE": ("invalid_expiry_year", "expired_card"),
    "INSUFFICIENT_FUNDS": ("insufficient_funds", "card_declined"),
    "CARD_NOT_SUPPORTED": ("card_not_supported", "card_declined"),
    "UNSUPPORTED_CARD_BRAND": ("card_not_supported", "card_declined"),
    "TRANSACTION_LIMIT": ("card_velocity_exceeded", "card_declined"),
    "PAYMENT_LIMIT_EXCEEDED": ("card_velocity_exceeded", "card_declined"),
    "VOICE_FAILURE": ("call_issuer", "card_declined"),
    "CARD_DECLINED_CALL_ISSUER": ("call_issuer", "card_declined"),
    "PAN_FAILURE": ("incorrect_number", "incorrect_number"),
    "INVALID_CARD": ("incorrect_number", "incorrect_number"),
    "INVALID_CARD_DATA": ("incorrect_number", "incorrect_number"),
    "CARD_DECLINED_VERIFICATION_REQUIRED": ("authentication_required", "authentication_required"),
    "ALLOWABLE_PIN_TRIES_EXCEEDED": ("pin_try_exceeded", "card_declined"),
    "CARD_TOKEN_EXPIRED": ("invalid_source", "card_declined"),
    "CARD_TOKEN_USED": ("invalid_source", "card_declined"),
    "SOURCE_USED": ("invalid_source", "card_declined"),
    "SOURCE_EXPIRED": ("invalid_source", "card_declined"),
    "UNSUPPORTED_CURRENCY": ("currency_not_supported", "card_declined"),
    "UNSUPPORTED_COUNTRY": ("card_not_supported", "card_declined"),
    "AMOUNT_TOO_HIGH": ("invalid_amount", "card_declined"),
    "AMOUNT_TOO_LOW": ("invalid_amount", "card_declined"),
    "TEMPORARY_ERROR": ("processing_error", "processing_error"),
    "REQUEST_TIMEOUT": ("processing_error", "processing_error"),
    # refunds
    "REFUND_AMOUNT_INVALID": ("refund_amount_invalid", "refund_failed"),
    "REFUND_ALREADY_PENDING": ("refund_already_pending", "refund_failed"),
    "PAYMENT_NOT_REFUNDABLE": ("charge_not_refundable", "refund_failed"),
    "PAYMENT_NOT_REFUNDABLE_DUE_TO_DISPUTE": ("charge_disputed", "refund_failed"),
    "REFUND_ERROR_PAYMENT_NEEDS_COMPLETION": ("charge_not_refundable", "refund_failed"),
    "REFUND_DECLINED": ("refund_declined", "refund_failed"),
    "INSUFFICIENT_PERMISSIONS_FOR_REFUND": ("refund_declined", "refund_failed"),
    # captures / voids
    "DELAYED_TRANSACTION_EXPIRED": ("authorization_expired", "card_declined"),
    "DELAYED_TRANSACTION_CANCELED": ("charge_voided", "card_declined"),
    "DELAYED_TRANSACTION_CAPTURED": ("charge_already_captured", "card_declined"),
    "DELAYED_TRANSACTION_FAILED": ("processing_error", "processing_error"),
}

DECLINE_TABLE: dict[str, str] = {
    "call_issuer": declines.DO_NOT_RETRY,
    "incorrect_zip": declines.DO_NOT_RETRY,
    "invalid_expiry_year": declines.DO_NOT_RETRY,
    "pin_try_exceeded": declines.DO_NOT_RETRY,
    # a Square card nonce is Square's alone: another connector cannot charge it
    "invalid_source": declines.DO_NOT_RETRY,
    "invalid_amount": declines.DO_NOT_RETRY,
    "invalid_request": declines.DO_NOT_RETRY,
    "source_not_supported": declines.RETRY_ELSEWHERE,
    "refund_amount_invalid": declines.DO_NOT_RETRY,
    "refund_already_pending": declines.DO_NOT_RETRY,
    "charge_not_refundable": declines.DO_NOT_RETRY,
    "charge_disputed": declines.DO_NOT_RETRY,
    "refund_declined": declines.DO_NOT_RETRY,
    "authorization_expired": declines.DO_NOT_RETRY,
    "charge_voided": declines.DO_NOT_RETRY,
    "charge_already_captured": declines.DO_NOT_RETRY,
}


def decline_for(code: str, category: str = "") -> tuple[str, str]:
    if code in ERROR_CODES:
        return ERROR_CODES[code]
    if category == "PAYMENT_METHOD_ERROR":
        return "generic_decline", "card_declined"
    if category in ("API_ERROR", "RATE_LIMIT_ERROR"):
        return "processing_error", "processing_error"
    return "invalid_request", "card_declined"
