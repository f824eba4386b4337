"""Verifone eCommerce API statuses and reason codes → Clearhouse results and Stripe-style declines.

Source: the Verifone eCommerce API reference 2.38 (EcomResponseCard / EcomResponse: ``status``
INITIATED | AUTHORIZED | … | DECLINED | FAILED | SETTLEMENT_* | VOIDED | UNKNOWN, ``reason_code``
"a reason code assigned by the acquiring platform; '0000' in case of success", ``refusal_reason``;
GatewayTransactions: ``transaction_type`` and ``transaction_status`` of List transactions).
Verifone passes the acquirer's reason through, zero-padded to four characters; the last two are
the ISO 8583 response code the table below reads (05 do not honour, 51 insufficient funds, …).
"""

from __future__ import annotations

from apps.connectors import declines

APPROVED = frozenset({
    "AUTHORIZED", "CUSTOMER_ACCEPTED", "SETTLEMENT_REQUESTED", "SETTLEMENT_SUBMITTED",
    "SETTLEMENT_COMPLETED", "SETTLEMENT_PARTIAL", "REFUNDED", "VOIDED", "AUTHORIZATION_VOIDED",
})  # fmt: skip
PENDING = frozenset({"INITIATED", "PENDING", "UNKNOWN"})
# List transactions' transaction_status
LISTED_APPROVED = frozenset({"APPROVED", "AUTHORISED", "COMPLETED", "CONFIRMED", "SETTLED", "SETTLEMENT_REQUESTED",
                             "SUBMITTED", "SENT", "RECONCILED", "PARTIALLY_REFUNDED", "REFUNDED"})  # fmt: skip
LISTED_DECLINED = frozenset(
    {"DECLINED", "FAILED", "REJECTED", "CANCELLED", "EXPIRED", "REVERSED", "TIMED_OUT"}
)

# ISO 8583 response code → (Stripe-style decline_code, Declined.code)
ISO_CODES: dict[str, tuple[str, str]] = {
    "01": ("call_issuer", "card_declined"),
    "02": ("call_issuer", "card_declined"),
    "03": ("invalid_merchant", "processing_error"),
    "04": ("pickup_card", "card_declined"),
    "05": ("do_not_honor", "card_declined"),
    "07": ("pickup_card", "card_declined"),
    "12": ("transaction_not_allowed", "card_declined"),
    "13": ("invalid_amount", "card_declined"),
    "14": ("incorrect_number", "incorrect_number"),
    "15": ("card_not_supported", "card_declined"),
    "19": ("reenter_transaction", "processing_error"),
    "41": ("lost_card", "card_declined"),
    "43": ("stolen_card", "card_declined"),
    "51": ("insufficient_funds", "card_declined"),
    "54": ("expired_card", "expired_card"),
    "55": ("incorrect_pin", "card_declined"),
    "57": ("transaction_not_allowed", "card_declined"),
    "58": ("transaction_not_allowed", "card_declined"),
    "59": ("fraudulent", "card_declined"),
    "61": ("card_velocity_exceeded", "card_declined"),
    "62": ("restricted_card", "card_declined"),
    "63": ("security_violation", "card_declined"),
    "65": ("authentication_required", "authentication_required"),  # soft decline: SCA required
    "1A": ("authentication_required", "authentication_required"),
    "75": ("pin_try_exceeded", "card_declined"),
    "82": ("incorrect_cvc", "incorrect_cvc"),
    "N7": ("incorrect_cvc", "incorrect_cvc"),
    "91": ("issuer_not_available", "processing_error"),
    "96": ("processing_error", "processing_error"),
}

REFUSAL_REASONS: dict[str, tuple[str, str]] = {
    "CARD_EXPIRED": ("expired_card", "expired_card"),
    "CARD_NOT_VALID": ("incorrect_number", "incorrect_number"),
    "CARD_BRAND_NOT_ACCEPTED": ("card_not_supported", "card_declined"),
    "CARD_NOT_ACCEPTED": ("card_not_supported", "card_declined"),
    "CARD_PRODUCT_NOT_ACCEPTED": ("card_not_supported", "card_declined"),
    "INVALID_BIN": ("incorrect_number", "incorrect_number"),
    "ACQUIRER_COMMS_FAILURE": ("processing_error", "processing_error"),
    "ORIGINAL_TRANSACTION_NOT_FOUND": ("charge_not_found", "card_declined"),
    "REFUND_NOT_ACCEPTED": ("refund_not_allowed", "refund_failed"),
    "THREEDSECURE_FAILED_AUTH": ("authentication_failed", "card_declined"),
    "THREEDSECURE_FAILED_ACS": ("authentication_failed", "card_declined"),
    "THREEDSECURE_FAILED_COMMS": ("processing_error", "processing_error"),
}

DECLINE_TABLE: dict[str, str] = {
    "call_issuer": declines.DO_NOT_RETRY,
    "invalid_merchant": declines.RETRY_ELSEWHERE,
    "transaction_not_allowed": declines.DO_NOT_RETRY,
    "invalid_amount": declines.DO_NOT_RETRY,
    "incorrect_pin": declines.DO_NOT_RETRY,
    "pin_try_exceeded": declines.DO_NOT_RETRY,
    "charge_not_found": declines.DO_NOT_RETRY,
    "refund_not_allowed": declines.DO_NOT_RETRY,
    "invalid_request": declines.DO_NOT_RETRY,
    # a Verifone reuse token / Verifone-encrypted card is Verifone's alone
    "invalid_source": declines.DO_NOT_RETRY,
}


def decline_for(reason_code: str, refusal_reason: str = "") -> tuple[str, str]:
    if refusal_reason in REFUSAL_REASONS:
        return REFUSAL_REASONS[refusal_reason]
    code = str(reason_code or "").upper()
    if code[-2:] in ISO_CODES:
        return ISO_CODES[code[-2:]]
    return "generic_decline", "card_declined"
