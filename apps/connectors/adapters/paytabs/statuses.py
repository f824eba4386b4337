"""PayTabs' ``payment_result`` → our results and Stripe-style decline codes.

``response_status`` (support.paytabs.com "What is response code vs the response status?"):
A authorized, H hold (authorized, held for anti-fraud review), P pending (refunds), V voided,
E error, D declined, X expired. For E/D the ``response_code`` / ``response_message`` say why; the
codes are the acquirer's and differ between PayTabs' acquirers (the article's samples: "504"
"Declined", "1" E "Authentication Failed"), so the decline code is read from the message, whose
wording PayTabs keeps across acquirers, and falls back on ``generic_decline``.
"""

from __future__ import annotations

from apps.connectors.declines import DO_NOT_RETRY, RETRY_ELSEWHERE

# (words in response_message, lower case) → our decline code; first match wins
MESSAGE_CODES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("insufficient", "not sufficient"), "insufficient_funds"),
    (("expired card", "card expired", "expiry"), "expired_card"),
    (("stolen",), "stolen_card"),
    (("lost",), "lost_card"),
    (("pick up", "pickup"), "pickup_card"),
    (("fraud", "risk", "blacklist", "blocked"), "fraudulent"),
    (("cvv", "cvc", "security code"), "incorrect_cvc"),
    (("invalid card", "card number"), "incorrect_number"),
    (("authentication", "3ds", "3-d secure"), "authentication_failed"),
    (("restricted",), "restricted_card"),
    (("limit", "frequency"), "card_velocity_exceeded"),
    (("not permitted", "not allowed", "not supported"), "card_not_supported"),
    (("honour", "honor"), "do_not_honor"),
    (("timeout", "timed out", "unavailable", "system error", "try again"), "try_again_later"),
    (("cancel",), "payment_canceled"),
)

DECLINE_TABLE = {
    "payment_canceled": DO_NOT_RETRY,  # the customer left the hosted page
    "expired": DO_NOT_RETRY,  # the hosted page expired unpaid
    "paytabs_request_refused": RETRY_ELSEWHERE,  # PayTabs refused to open the page (its side)
    "amount_mismatch": DO_NOT_RETRY,
    "refund_refused": DO_NOT_RETRY,
    "capture_refused": DO_NOT_RETRY,
    "void_refused": DO_NOT_RETRY,
    "authentication_failed": DO_NOT_RETRY,  # 3DS ran and the customer failed it
}


def decline_code(status: str, code: str, message: str) -> str:
    status = (status or "").upper()
    if status == "X":
        return "expired"
    if status == "E" and str(code) == "1":
        return "authentication_failed"
    text = (message or "").lower()
    for words, ours in MESSAGE_CODES:
        if any(word in text for word in words):
            return ours
    return "processing_error" if status == "E" else "generic_decline"
