"""Adyen's standard notifications (webhooks): HMAC verification and the mapping to our events.

Adyen posts ``{"live": "true"|"false", "notificationItems": [{"NotificationRequestItem": {…}}]}``
and signs each item: ``additionalData.hmacSignature`` = base64(HMAC-SHA256(hex-decoded HMAC key,
"pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success"))
(docs.adyen.com/development-resources/webhooks/verify-hmac-signatures; the SDK's
``Adyen.util.is_valid_hmac_notification``, which this module uses). A notification is identified by
pspReference + eventCode + success (Adyen may send it more than once).
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from Adyen import util as adyen_util

from apps.connectors.base import InboundEvent, InboundWebhookError

# eventCode → our type, by success; the reference our rows carry: the payment's pspReference
# (the modification's own for refunds: /refunds answered it).
EVENTS = {
    "AUTHORISATION": ("charge.succeeded", "charge.failed"),
    "CAPTURE": ("charge.captured", "charge.capture_failed"),
    "CAPTURE_FAILED": ("charge.capture_failed", "charge.capture_failed"),
    "CANCELLATION": ("charge.canceled", "charge.cancel_failed"),
    "REFUND": ("refund.succeeded", "refund.failed"),
    "REFUND_FAILED": ("refund.failed", "refund.failed"),
    "REFUNDED_REVERSED": ("refund.failed", "refund.failed"),
    "CHARGEBACK": ("charge.dispute.funds_withdrawn", "charge.dispute.funds_withdrawn"),
    "NOTIFICATION_OF_CHARGEBACK": ("charge.dispute.created", "charge.dispute.created"),
    "CHARGEBACK_REVERSED": ("charge.dispute.closed", "charge.dispute.closed"),
    "REPORT_AVAILABLE": ("report.available", "report.available"),
}
# events about a modification name the payment in originalReference
_ON_ORIGINAL = {"CAPTURE", "CAPTURE_FAILED", "CANCELLATION", "CHARGEBACK", "NOTIFICATION_OF_CHARGEBACK",
                "CHARGEBACK_REVERSED"}  # fmt: skip


def parse_notification(body: bytes, *, hmac_key: str, amount_of) -> InboundEvent:
    try:
        payload = json.loads(body)
        item = payload["notificationItems"][0]["NotificationRequestItem"]
        signature = (item.get("additionalData") or {}).get("hmacSignature")
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise InboundWebhookError("Payload is not an Adyen notification.", code="invalid_payload") from exc
    if not signature:
        raise InboundWebhookError("The notification carries no hmacSignature.", code="signature_missing")
    if not hmac_key:
        raise InboundWebhookError("This account has no HMAC key.", code="signature_invalid")
    try:
        valid = adyen_util.is_valid_hmac_notification(item, hmac_key)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InboundWebhookError("The notification cannot be verified.", code="signature_invalid") from exc
    if not valid:
        raise InboundWebhookError("Signature does not match.", code="signature_invalid")
    try:
        return _event(payload, item, amount_of)
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise InboundWebhookError("Payload is not an Adyen notification.", code="invalid_payload") from exc


def _event(payload: Mapping[str, Any], item: Mapping[str, Any], amount_of) -> InboundEvent:
    code = str(item["eventCode"])
    success = str(item.get("success", "")).lower() == "true"
    ok_type, failed_type = EVENTS.get(code, (f"adyen.{code.lower()}", f"adyen.{code.lower()}"))
    amount = item.get("amount") or {}
    currency = str(amount.get("currency") or "")
    reference = (
        item.get("originalReference") if code in _ON_ORIGINAL and item.get("originalReference") else None
    )
    occurred = dt.datetime.fromisoformat(str(item["eventDate"]))
    data: dict[str, Any] = {"event_code": code, "success": success, "merchant_reference": item.get("merchantReference", ""),
                            "psp_reference": item.get("pspReference", ""), "reason": item.get("reason", "")}  # fmt: skip
    if not success and code == "AUTHORISATION":
        from .statuses import decline_code

        data.update(
            decline_code=decline_code(str(item.get("reason", ""))), message=str(item.get("reason", ""))
        )
    if code == "REPORT_AVAILABLE":
        data.update(file=item.get("pspReference", ""), url=item.get("reason", ""))
    return InboundEvent(
        # our reference (the charge id, or the key of a capture/cancel/refund, we sent as
        # ``reference``): how an AUTHORISATION or a REFUND finds what we sent when the call timed
        # out before Adyen's pspReference was known
        reference=str(item.get("merchantReference") or ""),
        provider_event_id=f"{item['pspReference']}:{code}:{str(item.get('success', '')).lower()}",
        type=ok_type if success else failed_type,
        gateway_reference=str(reference or item["pspReference"]),
        occurred_at=occurred if occurred.tzinfo else occurred.replace(tzinfo=dt.UTC),
        livemode=str(payload.get("live", "false")).lower() == "true",
        amount=amount_of(int(amount["value"]), currency)
        if currency and amount.get("value") is not None
        else None,
        currency=currency.upper(),
        data=data,
    )


# What the shopper's return may carry for /payments/details (docs.adyen.com "3D Secure 2
# redirect": redirectResult appended to the returnUrl; "native 3D Secure 2": the component's
# threeDSResult, sent by the merchant's page).
RETURN_DETAILS = ("redirectResult", "threeDSResult")


def parse_return(body: bytes, *, signature_of, livemode: bool) -> InboundEvent:
    """The shopper's browser back at our signed return URL. Adyen signs nothing here (its
    redirectResult is opaque and only /payments/details can read it), so the return is trusted
    only as far as our own signature of the reference goes: it names the attempt and hands the
    result to ``complete_3ds``, which asks Adyen for the outcome."""
    try:
        fields = dict(parse_qsl(bytes(body or b"").decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise InboundWebhookError("The return is not a query string.", code="invalid_payload") from exc
    reference, given = fields.get("reference", ""), fields.get("signature", "")
    if not reference or not given:
        raise InboundWebhookError("The return names no signed reference.", code="signature_missing")
    if not hmac.compare_digest(signature_of(reference), given):
        raise InboundWebhookError("The return's signature does not match.", code="signature_invalid")
    details = {name: fields[name] for name in RETURN_DETAILS if fields.get(name)}
    if not details:
        raise InboundWebhookError(
            "The return carries no redirectResult or threeDSResult.", code="invalid_payload"
        )
    digest = hashlib.sha256(json.dumps(details, sort_keys=True).encode()).hexdigest()[:32]
    return InboundEvent(
        provider_event_id=f"return:{reference}:{digest}",
        type="charge.action_returned",
        gateway_reference=reference,
        reference=reference,
        occurred_at=dt.datetime.now(dt.UTC),
        livemode=livemode,
        data=details,
    )


def sign_item(item: Mapping[str, Any], hmac_key: str) -> str:
    """The hmacSignature Adyen puts on an item (for the simulator and tests)."""
    unsigned = {k: v for k, v in item.items() if k != "additionalData"}
    return adyen_util.generate_notification_sig(unsigned, hmac_key).decode()
