"""Checkout.com response codes → Clearhouse results and Stripe-style decline codes.

Source: Checkout.com "API response codes" (https://www.checkout.com/docs/resources/codes/api-response-codes):
10xxx approved, 20xxx soft declines (a later attempt may succeed), 30xxx hard declines (the card
or the issuer must change something), 40xxx risk responses; and "Common response codes to test"
(support.checkout.com). Codes not listed here map by their range.
"""

from __future__ import annotations

from apps.connectors import declines

# response_code → (Stripe-style decline_code, Declined.code)
RESPONSE_CODES: dict[str, tuple[str, str]] = {
    "20001": ("call_issuer", "card_declined"),
    "20002": ("call_issuer", "card_declined"),
    "20003": ("processing_error", "processing_error"),  # invalid merchant (our setup, not the card)
    "20005": ("do_not_honor", "card_declined"),
    "20006": ("processing_error", "processing_error"),  # error / invalid request parameters
    "20009": ("try_again_later", "card_declined"),  # request in progress
    "20012": ("transaction_not_allowed", "card_declined"),  # invalid transaction
    "20013": ("invalid_amount", "card_declined"),
    "20014": ("incorrect_number", "incorrect_number"),
    "20015": ("card_not_supported", "card_declined"),  # no such issuer
    "20046": ("invalid_account", "card_declined"),  # closed account
    "20051": ("insufficient_funds", "card_declined"),
    "20054": ("expired_card", "expired_card"),
    "20055": ("incorrect_pin", "card_declined"),
    "20057": ("transaction_not_allowed", "card_declined"),
    "20058": ("transaction_not_allowed", "card_declined"),
    "20059": ("fraudulent", "card_declined"),  # suspected fraud
    "20061": ("card_velocity_exceeded", "card_declined"),
    "20062": ("restricted_card", "card_declined"),
    "20063": ("security_violation", "card_declined"),
    "20065": ("card_velocity_exceeded", "card_declined"),
    "20068": ("issuer_not_available", "processing_error"),  # response received too late / timeout
    "20078": ("restricted_card", "card_declined"),  # blocked, first use
    "20082": ("incorrect_cvc", "incorrect_cvc"),
    "20087": ("incorrect_cvc", "incorrect_cvc"),  # bad track data (invalid CVV and/or expiry date)
    "20091": ("issuer_not_available", "processing_error"),
    "20093": ("restricted_card", "card_declined"),  # transaction cannot be completed; violation of law
    "20096": ("processing_error", "processing_error"),  # system malfunction
    "20150": ("authentication_required", "authentication_required"),  # card not 3DS enabled / required
    "20154": ("authentication_required", "authentication_required"),  # 3D Secure authentication required
    "20179": ("do_not_honor", "card_declined"),  # lifecycle
    "20182": ("do_not_honor", "card_declined"),  # policy
    "20183": ("security_violation", "card_declined"),  # security
    "30004": ("pickup_card", "card_declined"),
    "30007": ("pickup_card", "card_declined"),
    "30015": ("card_not_supported", "card_declined"),
    "30033": ("expired_card", "expired_card"),  # expired card - pick up
    "30034": ("fraudulent", "card_declined"),
    "30041": ("lost_card", "card_declined"),
    "30043": ("stolen_card", "card_declined"),
    "30044": ("invalid_account", "card_declined"),
    "40101": ("fraudulent", "card_declined"),  # risk blocked transaction
    "40201": ("fraudulent", "card_declined"),  # gateway reject - card number blacklisted
    "40202": ("fraudulent", "card_declined"),
    "40203": ("incorrect_zip", "card_declined"),  # gateway reject - post code failed
}

# The decline table (merged over declines.COMMON): the Stripe-style codes above that COMMON does
# not name, judged for failover.
DECLINE_TABLE: dict[str, str] = {
    "call_issuer": declines.DO_NOT_RETRY,
    "transaction_not_allowed": declines.DO_NOT_RETRY,
    "invalid_amount": declines.DO_NOT_RETRY,
    "incorrect_pin": declines.DO_NOT_RETRY,
    "incorrect_zip": declines.DO_NOT_RETRY,
    "refund_not_allowed": declines.DO_NOT_RETRY,
    "request_invalid": declines.DO_NOT_RETRY,
    "payment_not_found": declines.DO_NOT_RETRY,
}


def decline_for(response_code: str) -> tuple[str, str]:
    """(decline_code, code) for a response code; unknown codes by range."""
    code = str(response_code or "")
    if code in RESPONSE_CODES:
        return RESPONSE_CODES[code]
    if code.startswith("20"):
        return "generic_decline", "card_declined"  # soft: another attempt may succeed
    if code.startswith("4"):
        return "fraudulent", "card_declined"
    if code.startswith("30"):
        return "do_not_honor", "card_declined"  # hard decline
    return "generic_decline", "card_declined"


# Payment statuses (GET /payments/{id} and the 201/202 of POST /payments).
APPROVED_STATUSES = frozenset(
    {
        "Authorized",
        "Card Verified",
        "Captured",
        "Partially Captured",
        "Paid",
        "Partially Refunded",
        "Refunded",
    }
)
DECLINED_STATUSES = frozenset({"Declined", "Canceled", "Expired", "Voided"})
PENDING_STATUSES = frozenset({"Pending", "Retry Scheduled"})
