"""Telr's order statuses, transaction statuses and response codes → our results and decline codes.

From Telr's documentation (docs.telr.com "Response codes"): a transaction answers a status letter
(``A`` authorised, ``H`` authorised but on hold for manual inspection, ``D`` declined, ``E`` error
in the request, ``C`` cancelled, ``X`` expired) and a numeric code that names the reason; for an
authorised transaction the code is the issuer's authorisation code. A hosted-page order (``check``)
carries its own status: ``1`` pending, ``2`` authorised (an auth, not captured), ``3`` paid,
``4`` payment requested, ``-1`` expired, ``-2`` cancelled, ``-3`` declined.
"""

from __future__ import annotations

from apps.connectors.declines import DO_NOT_RETRY, RETRY_ELSEWHERE

ORDER_PENDING = 1
ORDER_AUTHORISED = 2
ORDER_PAID = 3
ORDER_PAYMENT_REQUESTED = 4
ORDER_EXPIRED = -1
ORDER_CANCELLED = -2
ORDER_DECLINED = -3

# Telr's numeric response codes (status D, C, X, E) → Stripe-style decline codes.
CODES = {
    "31": "generic_decline",  # Not authorised
    "32": "void_refused",  # Original transaction cannot be voided
    "34": "issuer_not_available",  # No response
    "37": "telr_blocked_by_acquirer",
    "41": "insufficient_funds",
    "42": "incorrect_cvc",
    "46": "authentication_failed",  # 3DSecure authentication not available for this card
    "47": "authentication_failed",  # 3DSecure authentication rejected
    "61": "call_issuer",  # Refer to card issuer
    "62": "do_not_honor",
    "63": "incorrect_address",
    "64": "incorrect_cvc",
    "65": "card_not_supported",  # not enabled for e-commerce
    "66": "restricted_card",  # Card cancelled
    "67": "transaction_not_allowed",
    "68": "invalid_account",
    "90": "fraudulent",
    "91": "fraudulent",
    "92": "fraudulent",
    "93": "card_velocity_exceeded",
    "94": "card_velocity_exceeded",  # Terminal limits
    "95": "generic_decline",
    "96": "fraudulent",
    "107": "processing_error",  # Acquirer system error
    "110": "invalid_account",
    "111": "restricted_card",
    "112": "restricted_card",
    "113": "restricted_card",
    "114": "fraudulent",
    "115": "fraudulent",
    "118": "processing_error",  # Unable to route
    "124": "card_velocity_exceeded",
    "33": "payment_canceled",  # status C
    "53": "expired",  # status X: authorisation expired
    "11": "incorrect_number",
    "12": "expired_card",
    "15": "invalid_cvc",
    "22": "telr_invalid_reference",
    "23": "amount_mismatch",
    "24": "currency_mismatch",
    "25": "telr_original_not_authorised",
    "26": "telr_already_voided",
    "29": "telr_amount_over_balance",
    "35": "refund_refused",
    "36": "telr_original_on_hold",
    "56": "telr_duplicate_transaction",
    "58": "processing_error",  # Error connecting to service provider
    "78": "processing_error",  # Timeout at payment processor
    "98": "processing_error",  # Internal system error
}

DECLINE_TABLE = {
    "telr_request_refused": RETRY_ELSEWHERE,  # Telr refused to open the page (its side)
    "telr_blocked_by_acquirer": RETRY_ELSEWHERE,
    "payment_canceled": DO_NOT_RETRY,
    "expired": DO_NOT_RETRY,
    "call_issuer": DO_NOT_RETRY,
    "incorrect_address": DO_NOT_RETRY,
    "transaction_not_allowed": DO_NOT_RETRY,
    "amount_mismatch": DO_NOT_RETRY,
    "currency_mismatch": DO_NOT_RETRY,
    "refund_refused": DO_NOT_RETRY,
    "capture_refused": DO_NOT_RETRY,
    "void_refused": DO_NOT_RETRY,
    "telr_invalid_reference": DO_NOT_RETRY,
    "telr_original_not_authorised": DO_NOT_RETRY,
    "telr_already_voided": DO_NOT_RETRY,
    "telr_amount_over_balance": DO_NOT_RETRY,
    "telr_original_on_hold": DO_NOT_RETRY,
    "telr_duplicate_transaction": DO_NOT_RETRY,
    "telr_remote_key_missing": RETRY_ELSEWHERE,
}


def decline_code(status: str, code: str, *, default: str = "generic_decline") -> str:
    """Our decline code of a transaction's status letter and Telr's numeric code."""
    status = (status or "").upper()
    code = str(code or "").strip().lstrip("0") or "0"
    if code in CODES:
        return CODES[code]
    if status == "C":
        return "payment_canceled"
    if status == "X":
        return "expired"
    if status == "E":
        return "processing_error"
    return default
