"""Amazon Payment Services response codes → Clearhouse results and Stripe-style decline codes.

Source: APS "Error Codes" (https://paymentservices.amazon.com/docs/developer-resources/error-codes):
``response_code`` is five digits — the two-digit status (02 authorization success, 03 authorization
failed, 04 capture success, 05 capture failed, 06 refund success, 07 refund failed, 08 voided, 09
void failed, 12 check status success, 13 purchase failure, 14 purchase success, 15 uncertain, 19
pending, 20 on hold) and a three-digit message code (000 success, 012 card expired, 016 invalid
card number, 029 insufficient funds, 030 authentication failed, 036 order not found, 042/048
operation amount exceeds the authorized/captured amount, 064 3-D Secure check requested, 666
transaction declined, 785 blocked by fraud checker, …; the full message list also as reproduced in
ActiveMerchant's PayFort gateway).
"""

from __future__ import annotations

from apps.connectors import declines

APPROVED = frozenset({"02", "04", "06", "08", "14"})
PENDING = frozenset({"15", "19", "40"})
ON_HOLD = "20"

# message code → (Stripe-style decline_code, Declined.code)
MESSAGES: dict[str, tuple[str, str]] = {
    "005": ("invalid_amount", "card_declined"),
    "006": ("processing_error", "processing_error"),
    "007": ("duplicate_transaction", "card_declined"),
    "008": ("invalid_signature", "processing_error"),
    "009": ("invalid_merchant", "processing_error"),
    "010": ("invalid_merchant", "processing_error"),
    "012": ("expired_card", "expired_card"),
    "013": ("currency_not_supported", "card_declined"),
    "016": ("incorrect_number", "incorrect_number"),
    "017": ("transaction_not_allowed", "card_declined"),
    "018": ("transaction_not_allowed", "card_declined"),
    "023": ("currency_not_supported", "card_declined"),
    "024": ("currency_not_supported", "card_declined"),
    "029": ("insufficient_funds", "card_declined"),
    "030": ("authentication_failed", "card_declined"),
    "031": ("invalid_account", "card_declined"),
    "034": ("transaction_not_allowed", "card_declined"),
    "036": ("order_not_found", "card_declined"),
    "042": ("amount_too_large", "card_declined"),
    "048": ("amount_too_large", "refund_failed"),
    "051": ("issuer_not_available", "processing_error"),
    "057": ("card_velocity_exceeded", "card_declined"),
    "058": ("card_velocity_exceeded", "card_declined"),
    "066": ("duplicate_transaction", "card_declined"),
    "072": ("authentication_failed", "card_declined"),
    "074": ("generic_decline", "card_declined"),
    "075": ("generic_decline", "card_declined"),
    "662": ("transaction_not_allowed", "card_declined"),
    "666": ("generic_decline", "card_declined"),
    "773": ("transaction_not_allowed", "card_declined"),
    "777": ("processing_error", "processing_error"),
    "778": ("authentication_failed", "card_declined"),
    "785": ("fraudulent", "card_declined"),
    "787": ("authentication_failed", "card_declined"),
}

DECLINE_TABLE: dict[str, str] = {
    "invalid_amount": declines.DO_NOT_RETRY,
    "duplicate_transaction": declines.DO_NOT_RETRY,
    "invalid_signature": declines.RETRY_ELSEWHERE,  # our configuration, not the card
    "invalid_merchant": declines.RETRY_ELSEWHERE,
    "transaction_not_allowed": declines.DO_NOT_RETRY,
    "order_not_found": declines.DO_NOT_RETRY,
    "amount_too_large": declines.DO_NOT_RETRY,
    "invalid_request": declines.DO_NOT_RETRY,
}


def decline_for(response_code: str) -> tuple[str, str]:
    code = str(response_code or "")
    message = code[2:] if len(code) == 5 else ""
    if message in MESSAGES:
        return MESSAGES[message]
    if code[:2] in ("00",):
        return "invalid_request", "card_declined"
    return "generic_decline", "card_declined"
