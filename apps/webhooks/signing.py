"""Outbound signatures, two schemes over the same body so any receiver can verify:

- `Payments-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — the seed design's
  scheme (Stripe's format, 5-minute tolerance on the receiver's side); the HMAC key is the whole
  `whsec_…` string, as the seed's reference verifier and Stripe's libraries use it.
- `Stripe-Signature`: the same `t=…,v1=…` value under Stripe's header name, so a receiver
  written for Stripe (`stripe.Webhook.construct_event(payload, header, secret)`) verifies it
  unchanged.
- Standard Webhooks: `webhook-id`, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` where the key is
  the base64-decoded part of `whsec_<base64>`.

During a rotation grace period both the new and the old secret sign: two `v1=` entries and two
space-separated `v1,` signatures, which both verifiers accept.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def payments_signature(secret: str, *, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def signature_headers(*, secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    payments = ",".join(
        [f"t={timestamp}"] + [f"v1={payments_signature(s, timestamp=timestamp, body=body)}" for s in secrets_]
    )
    standard = " ".join(
        f"v1,{standard_signature(s, msg_id=msg_id, timestamp=timestamp, body=body)}" for s in secrets_
    )
    return {
        "Payments-Signature": payments,
        "Stripe-Signature": payments,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard,
    }
