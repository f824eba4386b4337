"""What the sandbox acquirer sends back on its own: signed callbacks (inbound webhooks, verified
with the account's webhook secret, ``Sandbox-Signature: t=…,v1=HMAC-SHA256(secret, "t." + body)``)
and the disputes its dispute test cards open after capture, with their evidence submission."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from apps.connectors.base import (
    Approved,
    Declined,
    InboundEvent,
    InboundWebhookError,
    result_from_dict,
    result_to_dict,
)
from apps.connectors.sandbox.store import SandboxRecord
from apps.connectors.sandbox.tokens import _token

DEFAULT_WEBHOOK_SECRET = "whsec_sandbox_not_a_secret"
SIGNATURE_HEADER = "Sandbox-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300

# What the issuer opens after capture, per dispute test card behaviour: (status, event data).
# Visa's reason codes: 10.4 card-absent fraud, 13.1 merchandise/services not received.
DISPUTE_CARDS = {
    "dispute_fraudulent": ("needs_response", {"reason": "fraudulent", "network_reason_code": "10.4"}),
    "dispute_product_not_received": (
        "needs_response",
        {"reason": "product_not_received", "network_reason_code": "13.1"},
    ),
    "dispute_inquiry": (
        "warning_needs_response",
        {
            "reason": "fraudulent",
            "network_reason_code": "10.4",
            "case_type": "inquiry",
            "status": "warning_needs_response",
        },
    ),
}


class SandboxNotifications:
    """Mixed into ``SandboxAdapter``: it provides ``store`` and ``webhook_secret``."""

    def _maybe_dispute(self, captured: SandboxRecord, *, parent_reference: str = "") -> None:
        """The dispute test cards: once the payment is captured the issuer opens a fraud dispute
        (4000 0000 0000 0259), a product-not-received one (…2685) or an inquiry (…1976)."""
        opened = DISPUTE_CARDS.get(captured.behaviour)
        if opened is None:
            return
        status, result = opened
        parent = parent_reference or captured.reference
        self.store.add(
            SandboxRecord(
                idempotency_key=f"{captured.idempotency_key}:dispute",
                operation="dispute",
                reference=_token("sbxdp", captured.idempotency_key),
                status=status,
                amount=captured.amount,
                currency=captured.currency,
                parent_reference=parent,
                behaviour=captured.behaviour,
                result=dict(result),
            )
        )

    def dispute_notifications(self, *, gateway_reference: str) -> list[tuple[bytes, dict[str, str]]]:
        """The signed callbacks the acquirer sends for this charge's disputes: `charge.dispute.created`,
        then `charge.dispute.closed` once submitted evidence decided it (Stripe's test mode:
        `winning_evidence` wins, `losing_evidence` loses; other evidence stays under review)."""
        notifications = []
        for record in self.store.children(gateway_reference):
            if record.operation != "dispute":
                continue
            notifications.append(
                self.build_webhook(
                    type="charge.dispute.created",
                    gateway_reference=gateway_reference,
                    amount=record.amount,
                    currency=record.currency,
                    data={"dispute": record.reference, **record.result},
                    event_id=f"evt_{record.reference}",
                )
            )
            decided = [
                child
                for child in self.store.children(record.reference)
                if child.operation == "dispute_evidence" and child.behaviour in ("won", "lost")
            ]
            for child in decided[:1]:
                notifications.append(
                    self.build_webhook(
                        type="charge.dispute.closed",
                        gateway_reference=gateway_reference,
                        amount=record.amount,
                        currency=record.currency,
                        data={"dispute": record.reference, **record.result, "status": child.behaviour},
                        event_id=f"evt_{child.reference}",
                    )
                )
        return notifications

    def submit_dispute_evidence(self, *, idempotency_key: str, dispute_reference: str, evidence):
        previous = self.store.get(idempotency_key)
        if previous is not None:
            return result_from_dict(previous.result)
        dispute = self.store.get_by_reference(dispute_reference)
        if dispute is None or dispute.operation != "dispute":
            return Declined(
                code="resource_missing",
                decline_code="resource_missing",
                network_code="",
                message=f"The sandbox acquirer has no dispute {dispute_reference}.",
            )
        text = " ".join(str(value) for value in (evidence or {}).values())
        outcome = "won" if "winning_evidence" in text else "lost" if "losing_evidence" in text else ""
        result = Approved(gateway_reference=dispute_reference, amount=dispute.amount)
        stored = self.store.add(
            SandboxRecord(
                idempotency_key=idempotency_key,
                operation="dispute_evidence",
                reference=_token("sbxde", idempotency_key),
                status="approved",
                amount=dispute.amount,
                currency=dispute.currency,
                parent_reference=dispute_reference,
                behaviour=outcome,
                result=result_to_dict(result),
            )
        )
        return result_from_dict(stored.result)

    # ------------------------------------------------------------------ inbound webhooks
    def sign_webhook(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        timestamp = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(
            self.webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        return {SIGNATURE_HEADER: f"t={timestamp},v1={mac}", "Content-Type": "application/json"}

    def build_webhook(
        self,
        *,
        type: str,
        gateway_reference: str,
        amount: int | None = None,
        currency: str = "",
        data=None,
        event_id=None,
        timestamp=None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed callback as the sandbox acquirer would send it (for tests and the simulator)."""
        occurred = int(time.time()) if timestamp is None else timestamp
        payload = {
            "id": event_id or _token("sbxevt", type, gateway_reference, str(occurred)),
            "type": type,
            "created": occurred,
            "livemode": False,
            "data": {"reference": gateway_reference, "amount": amount, "currency": currency, **(data or {})},
        }
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return body, self.sign_webhook(body, timestamp=timestamp)

    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        header = lowered.get(SIGNATURE_HEADER.lower()) or lowered.get("http_sandbox_signature")
        if not header:
            raise InboundWebhookError("Missing Sandbox-Signature header.", code="signature_missing")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError as exc:
            raise InboundWebhookError(
                "Malformed Sandbox-Signature header.", code="signature_invalid"
            ) from exc
        if abs(time.time() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise InboundWebhookError("Signature timestamp outside the tolerance.", code="signature_expired")
        expected = hmac.new(
            self.webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise InboundWebhookError("Signature does not match.", code="signature_invalid")
        try:
            payload = json.loads(body)
            data = payload["data"]
            return InboundEvent(
                provider_event_id=str(payload["id"]),
                type=str(payload["type"]),
                gateway_reference=str(data["reference"]),
                occurred_at=dt.datetime.fromtimestamp(int(payload["created"]), tz=dt.UTC),
                livemode=bool(payload.get("livemode", False)),
                amount=data.get("amount"),
                currency=data.get("currency") or "",
                data=data,
            )
        except (ValueError, KeyError, TypeError, OverflowError) as exc:  # Overflow: `created` past year 9999
            raise InboundWebhookError("Payload is not a sandbox event.", code="invalid_payload") from exc
