"""Tap's charge statuses and ``response {code, message}`` → Stripe-style decline codes.

The status says what happened (Tap API reference, the charge object's ``status``); for a
declined charge the ``response.message`` names why in Tap's stable wording, so the decline code
is read from it, and the status decides when the message names nothing we know.
"""

from __future__ import annotations

from apps.connectors.declines import DO_NOT_RETRY, RETRY_ELSEWHERE

STATUS_CODES = {
    "ABANDONED": "payment_canceled",  # the customer left Tap's page
    "CANCELLED": "payment_canceled",
    "TIMEDOUT": "expired",
    "RESTRICTED": "restricted_card",  # stopped by Tap's or the issuer's rules
    "VOID": "payment_canceled",
    "FAILED": "processing_error",  # Tap's or the acquirer's failure
    "DECLINED": "generic_decline",
}

MESSAGE_CODES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("insufficient",), "insufficient_funds"),
    (("expired card", "card expired"), "expired_card"),
    (("stolen",), "stolen_card"),
    (("lost",), "lost_card"),
    (("pick up", "pickup"), "pickup_card"),
    (("fraud", "risk", "blacklist"), "fraudulent"),
    (("cvv", "cvc", "security code"), "incorrect_cvc"),
    (("invalid card", "card number"), "incorrect_number"),
    (("authentication", "3ds", "3d secure"), "authentication_failed"),
    (("do not honor", "do not honour"), "do_not_honor"),
    (("limit",), "card_velocity_exceeded"),
)

DECLINE_TABLE = {
    "payment_canceled": DO_NOT_RETRY,
    "expired": DO_NOT_RETRY,
    "tap_request_refused": RETRY_ELSEWHERE,  # Tap refused to open the page (its side)
    "amount_mismatch": DO_NOT_RETRY,
    "refund_refused": DO_NOT_RETRY,
    "capture_refused": DO_NOT_RETRY,
    "void_refused": DO_NOT_RETRY,
}


def decline_code(status: str, code: str, message: str) -> str:
    status = (status or "").upper()
    if status in ("ABANDONED", "CANCELLED", "TIMEDOUT", "VOID"):
        return STATUS_CODES[status]
    text = (message or "").lower()
    for words, ours in MESSAGE_CODES:
        if any(word in text for word in words):
            return ours
    return STATUS_CODES.get(status, "generic_decline")
