"""Checkout.com webhooks (Workflows): verification and mapping.

Source: Checkout.com "Webhooks" / "Receive webhooks" (https://www.checkout.com/docs/developer-resources/webhooks)
and the webhook event types pages (e.g. .../workflows/webhook-event-types/payment_refund_declined):
each delivery carries ``Cko-Signature``, the hex HMAC-SHA256 of the raw body keyed with the
workflow's signature key (our ``webhook_secret``); the body is ``{"id": "evt_…", "type":
"payment_captured", "version", "created_on", "data": {"id": "pay_…", "action_id": "act_…",
"amount", "currency", "reference", "response_code", …}, "_links"}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping

from apps.connectors import money
from apps.connectors.base import InboundEvent, InboundWebhookError

from .amounts import from_checkout

# Checkout.com event type → ours (the others are kept with their own name, prefixed, and ignored).
EVENT_TYPES = {
    "payment_approved": "charge.authorized",
    "payment_captured": "charge.captured",
    "payment_declined": "charge.failed",
    "payment_capture_declined": "charge.capture_failed",
    "payment_expired": "charge.expired",
    "payment_canceled": "charge.failed",
    "payment_voided": "charge.voided",
    "payment_refunded": "refund.succeeded",
    "payment_refund_declined": "refund.failed",
    "dispute_received": "charge.dispute.created",
    "dispute_won": "charge.dispute.closed",
    "dispute_lost": "charge.dispute.closed",
}


def verify(body: bytes, signature: str | None, secret: str) -> None:
    if not signature:
        raise InboundWebhookError("Cko-Signature header missing.", code="signature_missing")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise InboundWebhookError("Cko-Signature does not match the body.", code="signature_invalid")


def _when(value: str) -> dt.datetime:
    try:
        text = value.replace("Z", "+00:00")
        # Checkout.com sends up to 7 fractional digits; Python parses 6.
        if "." in text:
            head, tail = text.split(".", 1)
            digits = "".join(ch for ch in tail if ch.isdigit())
            zone = tail[len(digits) :]
            text = f"{head}.{digits[:6]}{zone}"
        return dt.datetime.fromisoformat(text)
    except (AttributeError, ValueError):
        return dt.datetime.now(dt.UTC)


def parse(body: bytes, headers: Mapping[str, str], *, secret: str, livemode: bool) -> InboundEvent:
    verify(body, headers.get("cko-signature"), secret)
    try:
        payload = json.loads(body)
        event_id = payload["id"]
        kind = payload["type"]
        data = payload.get("data") or {}
    except (ValueError, KeyError, TypeError):
        raise InboundWebhookError("Not a Checkout.com event.", code="invalid_payload") from None
    mapped = EVENT_TYPES.get(kind, f"checkout.{kind}")
    currency = str(data.get("currency") or "")
    amount = None
    if currency and isinstance(data.get("amount"), int):
        try:
            amount = from_checkout(data["amount"], currency)
        except money.AmountPrecisionError:
            amount = None
    reference = str(data.get("id") or "")
    if mapped.startswith("refund."):
        # A refund is its action on the payment: the action id is the refund's reference.
        reference = str(data.get("action_id") or reference)
    return InboundEvent(
        provider_event_id=str(event_id),
        type=mapped,
        gateway_reference=reference,
        occurred_at=_when(str(payload.get("created_on") or "")),
        livemode=livemode,
        amount=amount,
        currency=currency.lower(),
        data={
            "provider_type": kind,
            "payment_id": str(data.get("id") or ""),
            "action_id": str(data.get("action_id") or ""),
            "reference": str(data.get("reference") or ""),
            "response_code": str(data.get("response_code") or ""),
            "response_summary": str(data.get("response_summary") or ""),
        },
    )
