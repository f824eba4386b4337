"""Adyen's answers mapped to Clearhouse results, and Adyen's decline table.

Sources: Adyen API Explorer, Checkout API v72 (``/payments`` and ``/payments/details``
responses: ``resultCode`` Authorised, Refused, Error, Cancelled, Pending, Received,
RedirectShopper, IdentifyShopper, ChallengeShopper, PresentToShopper; ``refusalReason``,
``refusalReasonCode``; ``action``), docs.adyen.com "Refusal reasons" (the reason texts and codes),
docs.adyen.com "Result codes", and the modification responses (``status: received``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.connectors.base import Approved, Declined, Pending, RequiresAction
from apps.connectors.declines import DO_NOT_RETRY, NEEDS_3DS, RETRY_ELSEWHERE

# Adyen refusal reason (docs.adyen.com/development-resources/refusal-reasons) → the Stripe-style
# decline code our charges carry (declines.COMMON judges most of them).
REFUSALS = {
    "refused": "generic_decline",
    "referral": "call_issuer",
    "acquirer error": "processing_error",
    "blocked card": "restricted_card",
    "expired card": "expired_card",
    "invalid amount": "invalid_amount",
    "invalid card number": "incorrect_number",
    "issuer unavailable": "issuer_not_available",
    "not supported": "card_not_supported",
    "3d not authenticated": "authentication_failed",
    "not enough balance": "insufficient_funds",
    "acquirer fraud": "fraudulent",
    "cancelled": "canceled",
    "shopper cancelled": "canceled",
    "invalid pin": "incorrect_pin",
    "pin tries exceeded": "pin_try_exceeded",
    "fraud": "fraudulent",
    "fraud-cancelled": "fraudulent",
    "issuer suspected fraud": "fraudulent",
    "transaction not permitted": "transaction_not_allowed",
    "cvc declined": "incorrect_cvc",
    "restricted card": "restricted_card",
    "revocation of auth": "revocation_of_authorization",
    "declined non generic": "do_not_honor",
    "withdrawal amount exceeded": "card_velocity_exceeded",
    "withdrawal count exceeded": "withdrawal_count_limit_exceeded",
    "avs declined": "incorrect_address",
    "authentication required": "authentication_required",
    "card requires online pin": "online_or_offline_pin_required",
    "mobile pin required": "online_or_offline_pin_required",
}

DECLINE_TABLE = {
    # the mapped codes the common table does not hold
    "canceled": DO_NOT_RETRY,
    "incorrect_pin": DO_NOT_RETRY,
    "pin_try_exceeded": DO_NOT_RETRY,
    "call_issuer": DO_NOT_RETRY,
    "transaction_not_allowed": DO_NOT_RETRY,
    "revocation_of_authorization": DO_NOT_RETRY,
    "withdrawal_count_limit_exceeded": DO_NOT_RETRY,
    "incorrect_address": DO_NOT_RETRY,
    "online_or_offline_pin_required": NEEDS_3DS,
    # Adyen's own reason texts, lower-cased, should a caller classify by them
    "acquirer error": RETRY_ELSEWHERE,
    "issuer unavailable": RETRY_ELSEWHERE,
    "refused": RETRY_ELSEWHERE,
    "not supported": RETRY_ELSEWHERE,
    "fraud": DO_NOT_RETRY,
    "blocked card": DO_NOT_RETRY,
    "expired card": DO_NOT_RETRY,
    "not enough balance": DO_NOT_RETRY,
    "authentication required": NEEDS_3DS,
    # API errors: our request or account, not the card
    "adyen_validation": DO_NOT_RETRY,
    "adyen_security": RETRY_ELSEWHERE,
    "adyen_configuration": RETRY_ELSEWHERE,
}

ACTION_CODES = ("RedirectShopper", "IdentifyShopper", "ChallengeShopper", "PresentToShopper")


def decline_code(reason: str) -> str:
    return REFUSALS.get((reason or "").strip().lower(), "generic_decline")


def payment_result(body: Mapping[str, Any], *, amount: int, reference: str):
    """A ``/payments`` or ``/payments/details`` response as our result (``amount`` in our minor
    units: Adyen echoes the request's)."""
    code = str(body.get("resultCode") or "")
    psp = str(body.get("pspReference") or "")
    additional = body.get("additionalData") or {}
    raw = {"result_code": code, "request_id": psp, "merchant_reference": body.get("merchantReference", "")}
    if code == "Authorised":
        return Approved(
            gateway_reference=psp,
            network_code="00",
            authorization_code=str(additional.get("authCode", "")),
            amount=amount,
            cvc_check=_cvc(additional.get("cvcResult", "")),
            network_transaction_id=str(additional.get("networkTxReference", "")),
            raw=raw,
        )
    if code in ACTION_CODES:
        action = body.get("action") or {}
        return RequiresAction(
            kind="redirect_to_url",
            # What /payments/details is completed with: Adyen identifies the payment by the
            # redirect result the shopper brings back; our reference ties the two ends.
            reference=reference,
            url=str(action.get("url", "")),
            three_ds=str(action.get("paymentMethodType", "scheme")) == "scheme",
            gateway_reference=psp,
            raw={**raw, "action_type": action.get("type", ""), "method": action.get("method", "GET")},
        )
    if code in ("Pending", "Received"):
        return Pending(gateway_reference=psp, message=f"Adyen answered {code}.", raw=raw)
    reason = str(body.get("refusalReason") or code or "Refused")
    mapped = "processing_error" if code == "Error" else decline_code(reason)
    return Declined(
        code="card_declined" if code != "Error" else "processing_error",
        decline_code=mapped,
        network_code=str(body.get("refusalReasonCode") or ""),
        message=f"Adyen refused the payment: {reason}.",
        gateway_reference=psp,
        raw={**raw, "refusal_reason": reason},
    )


def _cvc(value: str) -> str | None:
    # additionalData.cvcResult: "1 Matches", "2 No Match", "3 Not Checked", "4 No CVC", …
    head = str(value or "").split(" ", 1)[0]
    return {
        "1": "pass",
        "2": "fail",
        "3": "unchecked",
        "4": "unavailable",
        "5": "unavailable",
        "6": "unavailable",
    }.get(head)


def api_error_result(status: int, body: Mapping[str, Any]) -> Declined:
    """A 4xx from the Checkout API (``{"status", "errorCode", "message", "errorType"}``)."""
    kind = str(body.get("errorType") or "validation")
    return Declined(
        code=f"adyen_{kind}",
        decline_code=f"adyen_{kind}",
        network_code=str(body.get("errorCode") or ""),
        message=f"Adyen refused the request ({body.get('errorCode', status)}): {body.get('message', '')}"[
            :500
        ],
        gateway_reference=str(body.get("pspReference") or ""),
        raw={
            "status": status,
            "error_code": body.get("errorCode"),
            "request_id": body.get("pspReference", ""),
        },
    )
