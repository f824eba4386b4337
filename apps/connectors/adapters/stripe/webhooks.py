"""Stripe webhooks: the Stripe-Signature check and the mapping of Stripe events to ours.

docs.stripe.com/webhooks: ``Stripe-Signature: t=<unix>,v1=<hex>``, v1 = HMAC-SHA256 of
``"<t>.<raw body>"`` keyed with the endpoint's signing secret (whsec_…); a timestamp older than
the tolerance (300 s) is refused (replays). Verified with the SDK's ``WebhookSignature``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import stripe

from apps.connectors.base import InboundEvent, InboundWebhookError

WEBHOOK_TOLERANCE_SECONDS = 300

# Stripe event type → ours (the owners registered in apps.connectors.inbound), and where the
# gateway reference is in the event object.
EVENT_TYPES = {
    "payment_intent.succeeded": "charge.succeeded",
    "payment_intent.amount_capturable_updated": "charge.authorized",
    "payment_intent.payment_failed": "charge.failed",
    "payment_intent.canceled": "charge.failed",
    "charge.captured": "charge.captured",
    "refund.failed": "refund.failed",
    "charge.dispute.created": "charge.dispute.created",
    "charge.dispute.closed": "charge.dispute.closed",
    "charge.dispute.updated": "charge.dispute.updated",
}


def parse_event(body: bytes, *, headers: Mapping[str, str], secret: str, amount_of) -> InboundEvent:
    """``headers`` with lower-case names; raises InboundWebhookError."""
    header = headers.get("stripe-signature")
    if not header:
        raise InboundWebhookError("Missing Stripe-Signature header.", code="signature_missing")
    if not secret:
        raise InboundWebhookError("This account has no webhook signing secret.", code="signature_invalid")
    payload = body.decode("utf-8", "replace")
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        expired = "tolerance" in str(exc).lower()
        raise InboundWebhookError(
            "Signature timestamp outside the tolerance." if expired else "Signature does not match.",
            code="signature_expired" if expired else "signature_invalid",
        ) from None
    try:
        event = json.loads(payload)
        obj = event["data"]["object"]
        kind = str(event["type"])
        return InboundEvent(
            provider_event_id=str(event["id"]),
            type=_event_type(kind, obj),
            gateway_reference=_event_reference(kind, obj),
            occurred_at=dt.datetime.fromtimestamp(int(event["created"]), tz=dt.UTC),
            livemode=bool(event.get("livemode", False)),
            amount=_event_amount(kind, obj, amount_of),
            currency=str(obj.get("currency") or "").upper(),
            data=_event_data(kind, obj),
        )
    except (ValueError, KeyError, TypeError, OverflowError, AttributeError) as exc:
        raise InboundWebhookError("Payload is not a Stripe event.", code="invalid_payload") from exc


def _event_type(kind: str, obj: Mapping[str, Any]) -> str:
    """Ours for a Stripe event type. A refund's events carry its status: succeeded → refund.succeeded,
    failed/canceled → refund.failed, otherwise refund.pending (nothing to apply yet)."""
    if kind in ("refund.created", "refund.updated", "charge.refund.updated"):
        status = obj.get("status")
        if status == "succeeded":
            return "refund.succeeded"
        return "refund.failed" if status in ("failed", "canceled") else "refund.pending"
    return EVENT_TYPES.get(kind, f"stripe.{kind}")


def _event_data(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    data = {
        "stripe_type": kind,
        "object": obj.get("object"),
        "id": obj.get("id"),
        "status": obj.get("status"),
    }
    error = obj.get("last_payment_error") or {}
    if error:
        data.update(decline_code=error.get("decline_code") or error.get("code") or "generic_decline",
                    message=error.get("message") or "", network_code=error.get("network_decline_code") or "")  # fmt: skip
    if obj.get("failure_reason"):
        data.update(
            decline_code=obj["failure_reason"], message=f"Stripe could not refund: {obj['failure_reason']}."
        )
    if kind.startswith("charge.dispute."):
        data.update(dispute=obj.get("id"), reason=obj.get("reason"), status=obj.get("status"))
    return data


def _event_reference(kind: str, obj: Mapping[str, Any]) -> str:
    if kind.startswith("payment_intent."):
        return str(obj["id"])
    if kind.startswith(("refund.", "charge.refund.")):
        return str(obj["id"])
    if kind.startswith("charge.dispute."):
        return str(obj.get("payment_intent") or obj.get("charge") or "")
    if kind.startswith("charge."):
        return str(obj.get("payment_intent") or obj["id"])
    return str(obj.get("payment_intent") or obj.get("id") or "")


def _event_amount(kind: str, obj: Mapping[str, Any], ours) -> int | None:
    currency = obj.get("currency")
    if not currency:
        return None
    value = obj.get("amount_received") if kind == "payment_intent.succeeded" else obj.get("amount")
    return None if value is None else ours(int(value), str(currency))
