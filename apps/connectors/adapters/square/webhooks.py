"""Square webhook notifications: verification and mapping.

Source: Square "Validate webhook notifications" (https://developer.squareup.com/docs/webhooks/step3validate):
``x-square-hmacsha256-signature`` is base64(HMAC-SHA256(signature key, notification URL + raw
body)); verified with the SDK's ``square.utils.webhooks_helper.verify_signature``. Event bodies
(Square API reference, Webhooks: payment.created / payment.updated / refund.created /
refund.updated / dispute.created): ``{"merchant_id", "type", "event_id", "created_at", "data":
{"type", "id", "object": {"payment": {…}}}}``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from square.utils.webhooks_helper import verify_signature

from apps.connectors import money
from apps.connectors.base import InboundEvent, InboundWebhookError

PAYMENT_STATUS = {
    "APPROVED": "charge.authorized",
    "COMPLETED": "charge.captured",
    "FAILED": "charge.failed",
    "CANCELED": "charge.voided",
    "PENDING": "charge.pending",
}
REFUND_STATUS = {
    "COMPLETED": "refund.succeeded",
    "FAILED": "refund.failed",
    "REJECTED": "refund.failed",
    "PENDING": "refund.pending",
}


def parse(
    body: bytes, headers: Mapping[str, str], *, signature_key: str, url: str, livemode: bool
) -> InboundEvent:
    signature = headers.get("x-square-hmacsha256-signature")
    if not signature:
        raise InboundWebhookError("x-square-hmacsha256-signature header missing.", code="signature_missing")
    text = body.decode("utf-8", "replace")
    if not verify_signature(
        request_body=text, signature_header=signature, signature_key=signature_key, notification_url=url
    ):
        raise InboundWebhookError("x-square-hmacsha256-signature does not match.", code="signature_invalid")
    try:
        payload = json.loads(text)
        kind = str(payload["type"])
        event_id = str(payload["event_id"])
        data = payload.get("data") or {}
        obj = (data.get("object") or {}) if isinstance(data, Mapping) else {}
    except (ValueError, KeyError, TypeError):
        raise InboundWebhookError("Not a Square event notification.", code="invalid_payload") from None
    mapped = f"square.{kind}"
    amount = None
    currency = ""
    reference = str(data.get("id") or "")
    status = ""
    if kind in ("payment.created", "payment.updated"):
        payment = obj.get("payment") or {}
        status = str(payment.get("status") or "")
        mapped = PAYMENT_STATUS.get(status, mapped)
        amount, currency = _money(payment.get("amount_money"))
        reference = str(payment.get("id") or reference)
    elif kind in ("refund.created", "refund.updated"):
        refund = obj.get("refund") or {}
        status = str(refund.get("status") or "")
        mapped = REFUND_STATUS.get(status, mapped)
        amount, currency = _money(refund.get("amount_money"))
        reference = str(refund.get("id") or reference)
    elif kind == "dispute.created":
        mapped = "charge.dispute.created"
    return InboundEvent(
        provider_event_id=event_id,
        type=mapped,
        gateway_reference=reference,
        occurred_at=_when(str(payload.get("created_at") or "")),
        livemode=livemode,
        amount=amount,
        currency=currency,
        data={"provider_type": kind, "status": status, "merchant_id": str(payload.get("merchant_id") or "")},
    )


def _money(value) -> tuple[int | None, str]:
    if (
        not isinstance(value, Mapping)
        or not isinstance(value.get("amount"), int)
        or not value.get("currency")
    ):
        return None, ""
    try:
        return money.from_provider_minor(value["amount"], value["currency"]), str(value["currency"]).lower()
    except money.AmountPrecisionError:
        return None, ""


def _when(value: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.now(dt.UTC)
