"""Stripe's answers mapped to Clearhouse results, and Stripe's decline table.

Sources: Stripe API reference "PaymentIntents — The PaymentIntent object" (``status``:
requires_payment_method, requires_confirmation, requires_action, processing, requires_capture,
canceled, succeeded; ``next_action.redirect_to_url``), "Errors" (``type`` card_error with
``code``/``decline_code``, invalid_request_error, api_error, idempotency_error), "Decline codes"
(docs.stripe.com/declines/codes), "Refunds — The Refund object" (``status`` pending, requires_action,
succeeded, failed, canceled; ``failure_reason``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.connectors.base import Approved, Declined, Pending, RequiresAction, RetryableError
from apps.connectors.declines import DO_NOT_RETRY, NEEDS_3DS, RETRY_ELSEWHERE

# Stripe decline and error codes beyond declines.COMMON (docs.stripe.com/declines/codes).
DECLINE_TABLE = {
    "approve_with_id": RETRY_ELSEWHERE,
    "call_issuer": DO_NOT_RETRY,
    "card_declined": RETRY_ELSEWHERE,
    "transaction_not_allowed": DO_NOT_RETRY,
    "no_action_taken": RETRY_ELSEWHERE,
    "service_not_allowed": DO_NOT_RETRY,
    "revocation_of_authorization": DO_NOT_RETRY,
    "not_permitted": DO_NOT_RETRY,
    "testmode_decline": DO_NOT_RETRY,
    "withdrawal_count_limit_exceeded": DO_NOT_RETRY,
    "duplicate_transaction": DO_NOT_RETRY,
    "offline_pin_required": NEEDS_3DS,
    "online_or_offline_pin_required": NEEDS_3DS,
    # our credentials or Stripe's side, not the card: another acquirer may take it
    "authentication_error": RETRY_ELSEWHERE,
    "api_key_expired": RETRY_ELSEWHERE,
    "account_invalid": RETRY_ELSEWHERE,
    # refunds
    "charge_already_refunded": DO_NOT_RETRY,
    "charge_disputed": DO_NOT_RETRY,
    "amount_too_large": DO_NOT_RETRY,
}


def _get(obj: Any, key: str, default=None):
    if obj is None:
        return default
    try:
        value = obj[key]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


def _three_ds(charge) -> dict | None:
    secure = _get(_get(_get(charge, "payment_method_details"), "card"), "three_d_secure")
    if not secure:
        return None
    return {
        "authenticated": _get(secure, "result") in ("authenticated", "attempt_acknowledged"),
        "result": _get(secure, "result", ""),
        "version": _get(secure, "version", ""),
    }


def _checks(charge) -> dict[str, str | None]:
    checks = _get(_get(_get(charge, "payment_method_details"), "card"), "checks") or {}
    return {
        "cvc_check": _get(checks, "cvc_check"),
        "address_line1_check": _get(checks, "address_line1_check"),
        "address_postal_code_check": _get(checks, "address_postal_code_check"),
    }


def intent_result(intent, *, amount_of) -> Approved | Declined | Pending | RequiresAction:
    """A PaymentIntent (``latest_charge`` expanded) as our result. ``amount_of(minor, currency)``
    converts Stripe's minor units back to ours."""
    status = _get(intent, "status")
    currency = _get(intent, "currency", "")
    charge = _get(intent, "latest_charge")
    charge = charge if not isinstance(charge, str) else None
    raw = {"status": status, "request_id": _get(intent, "id", "")}
    if status in ("succeeded", "requires_capture"):
        received = (
            _get(intent, "amount_received") if status == "succeeded" else _get(intent, "amount_capturable")
        )
        outcome = _get(charge, "outcome") or {}
        return Approved(
            gateway_reference=intent["id"],
            network_code=str((_get(outcome, "network_status", "") == "approved_by_network" and "00") or ""),
            authorization_code=str(
                _get(_get(_get(charge, "payment_method_details"), "card"), "authorization_code", "")
            ),
            amount=amount_of(int(received if received is not None else intent["amount"]), currency),
            three_ds=_three_ds(charge),
            risk_score=_get(outcome, "risk_score"),
            risk_level=_get(outcome, "risk_level"),
            network_transaction_id=str(
                _get(_get(_get(charge, "payment_method_details"), "card"), "network_transaction_id", "")
            ),
            raw={**raw, "captured": status == "succeeded", "charge": _get(charge, "id", "")},
            **_checks(charge),
        )
    if status == "requires_action":
        action = _get(intent, "next_action") or {}
        redirect = _get(action, "redirect_to_url") or {}
        return RequiresAction(
            kind="redirect_to_url",
            reference=intent["id"],
            url=str(_get(redirect, "url", "")),
            three_ds=True,
            gateway_reference=intent["id"],
            raw={**raw, "next_action": _get(action, "type", "")},
        )
    if status == "processing":
        return Pending(gateway_reference=intent["id"], message="Stripe is processing the payment.", raw=raw)
    error = _get(intent, "last_payment_error") or {}
    code = str(_get(error, "code", "") or ("canceled" if status == "canceled" else "card_declined"))
    return Declined(
        code=code,
        decline_code=str(_get(error, "decline_code", "") or code),
        network_code=str(_get(_get(charge, "outcome"), "network_decline_code", "") or ""),
        message=str(_get(error, "message", "") or f"The payment is {status}."),
        gateway_reference=intent["id"],
        three_ds=_three_ds(charge),
        raw=raw,
    )


def error_result(error) -> Declined | RetryableError:
    """A ``stripe.StripeError`` raised by a call, as our result: card errors and invalid requests
    are Stripe's verdict (Declined); an idempotency conflict or an API error leaves the outcome
    unknown."""
    import stripe

    body: Mapping[str, Any] = (error.json_body or {}).get("error", {}) if error.json_body else {}
    code = str(error.code or body.get("code") or "")
    request_id = str(getattr(error, "request_id", "") or "")
    if isinstance(error, stripe.CardError):
        intent = body.get("payment_intent") or {}
        charge_outcome = {}
        return Declined(
            code=code or "card_declined",
            decline_code=str(body.get("decline_code") or code or "card_declined"),
            network_code=str(
                body.get("network_decline_code") or charge_outcome.get("network_decline_code") or ""
            ),
            message=str(error.user_message or body.get("message") or "The card was declined."),
            gateway_reference=str(intent.get("id") or body.get("charge") or ""),
            raw={"request_id": request_id, "type": "card_error"},
        )
    if isinstance(error, (stripe.IdempotencyError, stripe.APIError, stripe.APIConnectionError)):
        return RetryableError(
            code="provider_error",
            message=str(body.get("message") or type(error).__name__)[:300],
            outcome_unknown=True,
            http_status=error.http_status,
            raw={"request_id": request_id},
        )
    if isinstance(error, stripe.RateLimitError):
        return RetryableError(code="rate_limited", message="Stripe rate-limited the call.", http_status=429)
    kind = (
        "authentication_error"
        if isinstance(error, (stripe.AuthenticationError, stripe.PermissionError))
        else ""
    )
    return Declined(
        code=kind or code or "invalid_request_error",
        decline_code=kind or code or "invalid_request_error",
        network_code="",
        message=str(body.get("message") or type(error).__name__)[:500],
        raw={"request_id": request_id, "type": str(body.get("type") or "")},
    )
