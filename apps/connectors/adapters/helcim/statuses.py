"""Helcim decline messages → Stripe-style decline codes.

Source: Helcim "Testing Payment Declines and CVV Responses" (https://devdocs.helcim.com/docs/testing-declines-and-avs):
"When a transaction attempt is declined by the issuing bank, the Helcim API will return a response
0 with HTTP status 500 and an error message indicating the reason for the decline", e.g.
``"Transaction Declined: DECLINE CVV2 - Do not honor due to CVV2 mismatch\\failure"`` (test CVV
200), ``PICK UP CARD`` (201), ``AMOUNT ERROR`` (202), ``AMT OVER SVC LMT`` (203), do not honor
(205/209), system error (207/222), duplicate check (208), expired card (210), invalid card (212),
invalid CAVV (213), retry/re-enter (223), request exceeds balance (225), refer to issuer (229).
Helcim gives no numeric code in the API answer: the reason is read from the message.
"""

from __future__ import annotations

from apps.connectors import declines

# (lower-case fragment of the message, Stripe-style decline_code, Declined.code) — first match wins
MESSAGES: tuple[tuple[str, str, str], ...] = (
    ("cvv2", "incorrect_cvc", "incorrect_cvc"),
    ("pick up", "pickup_card", "card_declined"),
    ("lost", "lost_card", "card_declined"),
    ("stolen", "stolen_card", "card_declined"),
    ("expired", "expired_card", "expired_card"),
    ("exceeds bal", "insufficient_funds", "card_declined"),
    ("insufficient", "insufficient_funds", "card_declined"),
    ("nsf", "insufficient_funds", "card_declined"),
    ("over svc lmt", "card_velocity_exceeded", "card_declined"),
    ("service limit", "card_velocity_exceeded", "card_declined"),
    ("amount error", "invalid_amount", "card_declined"),
    ("cavv", "authentication_required", "authentication_required"),
    ("authentication", "authentication_required", "authentication_required"),
    ("invalid card", "incorrect_number", "incorrect_number"),
    ("invalid term", "processing_error", "processing_error"),
    ("appl type", "processing_error", "processing_error"),
    ("system error", "processing_error", "processing_error"),
    ("retry", "reenter_transaction", "processing_error"),
    ("re-enter", "reenter_transaction", "processing_error"),
    ("reenter", "reenter_transaction", "processing_error"),
    ("dup", "duplicate_transaction", "card_declined"),
    ("refer", "call_issuer", "card_declined"),
    ("call", "call_issuer", "card_declined"),
    ("fraud", "fraudulent", "card_declined"),
    ("do not honor", "do_not_honor", "card_declined"),
    ("cannot convert", "do_not_honor", "card_declined"),
    ("neg check", "do_not_honor", "card_declined"),
)

DECLINE_TABLE: dict[str, str] = {
    "invalid_amount": declines.DO_NOT_RETRY,
    "duplicate_transaction": declines.DO_NOT_RETRY,
    "call_issuer": declines.DO_NOT_RETRY,
    "invalid_request": declines.DO_NOT_RETRY,
    "refund_failed": declines.DO_NOT_RETRY,
}


def decline_for(message: str) -> tuple[str, str]:
    text = (message or "").lower()
    for fragment, decline_code, code in MESSAGES:
        if fragment in text:
            return decline_code, code
    return "generic_decline", "card_declined"
