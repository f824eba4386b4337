"""Helcim, through its documented Payment API v2 over the shared HTTP client (Helcim has no
official Python SDK).

Built from:
* Helcim API reference v2.2 (https://devdocs.helcim.com/reference; the OpenAPI document
  "The Helcim API" 2.2.0 as mirrored in github:api-evangelist/helcim, servers
  ``https://api.helcim.com/v2``): ``POST /payment/purchase``,
  ``/payment/preauth``, ``/payment/capture`` (``preAuthTransactionId``, partial amounts allowed),
  ``/payment/reverse`` (``cardTransactionId``), ``/payment/refund`` (``originalTransactionId``),
  ``GET /card-transactions?invoiceNumber=`` (lookup), ``GET /connection-test`` (health); the
  transaction object (``transactionId``, ``status`` APPROVED | DECLINED, ``amount`` in decimal
  major units, ``approvalCode``, ``cvvResponse``…) and the failure body ``{"errors": …}``;
* "API Message Format" (``api-token`` header; an ``idempotency-key`` of 25 to 36 characters on every
  Payment API request; "do not assume that a status 200 code indicates success");
* "Testing Payment Declines and CVV Responses" (declines are HTTP 500 with the reason in the
  message: statuses.py); "Preauthorize a Credit Card Payment" (capture within 7 days).

Amounts are decimal major units (``10.00``), written from the currency table and read back
exactly (``parse_float=Decimal``). Our idempotency key becomes Helcim's as a stable UUIDv5, and
the invoice number of the payment (``invoice.invoiceNumber``), which is what lookup searches.

Credentials: ``api_token`` (from the connector account only). Helcim has one API host: a
test-mode account holds a Helcim developer test account's token (Helcim's test environment is
the test account, not another URL), a live one a live account's.

No settlement report: the Card Batch API (``GET /card-batches``, ``GET
/card-transactions?cardBatchId=``) shows what a closed batch settled, gross only, while Helcim
deposits batches net of processing fees (or gross with fees withdrawn monthly) and puts neither the
fees nor the deposits in the API (the dashboard's Bank Deposits tool and monthly statements do).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    Declined,
    HealthStatus,
    PaymentRequest,
    Pending,
    lookup_not_supported,
)
from apps.connectors.http import ProviderHTTPError
from apps.connectors.money import AmountPrecisionError, from_major, major_str

from . import statuses

API = "https://api.helcim.com/v2/"
API_VERSION = "v2 (Helcim API 2.2)"
_KEY_NAMESPACE = uuid.UUID("6f1c3a52-8d0e-4f57-9a61-1f3b0c2d4e5f")
_DECIMAL_MARK = "__clearhouse_decimal__"
# Helcim requires the shopper's ipAddress (fraud checks); when we do not know it we say so.
UNKNOWN_IP = "0.0.0.0"  # noqa: S104 (not a bind address)


def helcim_key(our_key: str) -> str:
    """Helcim's idempotency key (25 to 36 of [A-Za-z0-9_-]) for one of ours, stable across retries."""
    return str(uuid.uuid5(_KEY_NAMESPACE, our_key))


def dumps(body: Mapping[str, Any]) -> str:
    """JSON with ``Decimal`` amounts written as exact JSON numbers (never through float)."""

    def mark(value):
        if isinstance(value, Decimal):
            return f"{_DECIMAL_MARK}{format(value, 'f')}"
        raise TypeError(type(value).__name__)

    text = json.dumps(body, default=mark)
    return re.sub(rf'"{_DECIMAL_MARK}(-?\d+(?:\.\d+)?)"', r"\1", text)


def _errors_text(errors: Any) -> str:
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(e) for e in errors)
    if isinstance(errors, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in errors.items())
    return ""


class HelcimAdapter(ProviderAdapter):
    code = "helcim"
    display_name = "Helcim"
    sdk = ""
    api_version = API_VERSION
    documentation = (
        "Helcim API reference v2.2 (devdocs.helcim.com/reference; its OpenAPI 2.2.0 as mirrored in github:api-evangelist/helcim): Payment API, Card Transactions API",
        "Helcim docs: API Message Format; Testing Payment Declines and CVV Responses; Preauthorize a Credit Card Payment",
    )
    notes = (
        "Cards by full number (an account enabled for full card numbers); no 3D Secure (HelcimPay.js, "
        "the hosted page, is not wired); Helcim's webhooks only report Smart Terminal (Payment Hardware "
        "API) transactions, so there are no callbacks for these payments; card batches carry no fees "
        "and no deposit, so no settlement report (fees and deposits are in the dashboard only); test "
        "mode is a Helcim developer test account on the same host."
    )
    test_mode = True
    live_mode = True
    test_base_url = API
    live_base_url = API
    credential_fields = ("api_token",)
    capabilities = {
        "payment_method_types": ["card"],
        "card_networks": ["amex", "diners", "discover", "jcb", "mastercard", "unionpay", "visa"],
        "currencies": ["CAD", "USD"],
        "countries": ["CA", "US"],
        "flows": ["direct"],
        "min_amount": 1,
        "max_amount": None,
        "three_d_secure": False,
        "manual_capture": True,
        "partial_capture": True,
        "voids": True,
        "refunds": True,
        "partial_refunds": True,
        "lookup": True,
        "webhooks": False,
        "settlement_reports": False,
        "payouts": False,
    }
    decline_table = statuses.DECLINE_TABLE

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        token = str(credentials.get("api_token") or "")
        if token and not re.fullmatch(r"[A-Za-z0-9_\-.!#$%&*+=@]{20,200}", token):
            raise ValueError("api_token is not a Helcim API token.")

    # ------------------------------------------------------------------ HTTP
    def _call(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, key: str = "", params=None
    ):
        headers = {"api-token": self.credential("api_token"), "accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        if key:
            headers["idempotency-key"] = helcim_key(key)
        try:
            answer = self.http.request(
                method, path, data=dumps(body) if body is not None else None, headers=headers, params=params,
            )  # fmt: skip
            # Writes are not repeated by the HTTP layer (only GETs are): a timed-out payment is
            # resolved by lookup(); the idempotency key makes a later re-send by the janitor safe.
        except ProviderHTTPError as exc:
            # A decline is HTTP 500 with {"errors": "Transaction Declined: …"}: a business answer.
            declined = self._decline_in(exc)
            if declined is None:
                raise
            return declined
        payload = json.loads(answer.content or b"{}", parse_float=Decimal) if answer.content else {}
        return answer.status, payload

    def _decline_in(self, exc: ProviderHTTPError):
        if exc.http_status != 500 or not exc.body:
            return None
        try:
            payload = json.loads(exc.body, parse_float=Decimal)
        except ValueError:
            return None
        text = _errors_text(payload.get("errors") if isinstance(payload, Mapping) else None)
        if "declined" not in text.lower():
            return None
        return 500, payload

    # ------------------------------------------------------------------ results
    def _result(self, status: int, payload: Any, *, currency: str):
        if isinstance(payload, Mapping) and payload.get("errors") is not None:
            text = _errors_text(payload["errors"])
            if status == 500:
                decline_code, code = statuses.decline_for(text)
            else:
                decline_code, code = "invalid_request", "card_declined"
            return Declined(decline_code=decline_code, network_code="", message=text or f"HTTP {status}",
                            code=code, raw={"http_status": status, "errors": payload["errors"]})  # fmt: skip
        if not isinstance(payload, Mapping):
            return Declined(decline_code="invalid_request", network_code="", message=f"HTTP {status}")
        reference = str(payload.get("transactionId") or "")
        amount = None
        if payload.get("amount") is not None:
            try:
                amount = from_major(payload["amount"], str(payload.get("currency") or currency))
            except AmountPrecisionError:
                amount = None
        raw = json.loads(dumps(payload))
        if str(payload.get("status") or "").upper() == "APPROVED":
            return Approved(
                gateway_reference=reference,
                authorization_code=str(payload.get("approvalCode") or ""),
                amount=amount,
                cvc_check={
                    "M": "pass",
                    "N": "fail",
                    "P": "unchecked",
                    "S": "unavailable",
                    "U": "unavailable",
                }.get(str(payload.get("cvvResponse") or "")),
                raw=raw,
            )
        message = str(payload.get("warning") or "") or "Helcim declined the transaction."
        decline_code, code = statuses.decline_for(message)
        return Declined(decline_code=decline_code, network_code="", message=message, code=code,
                        gateway_reference=reference, raw=raw)  # fmt: skip

    def _ip(self, metadata) -> str:
        ip = str((metadata or {}).get("ip_address") or self.config.get("ip_address") or "")
        return ip or UNKNOWN_IP

    # ------------------------------------------------------------------ operations
    def authorize(self, request: PaymentRequest):
        try:
            amount = Decimal(major_str(request.amount, request.currency))
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        card = request.card
        name = str((request.billing_details or {}).get("name") or "") or "Cardholder"
        body = {
            "ipAddress": self._ip(request.metadata),
            "ecommerce": True,
            "currency": request.currency.upper(),
            "amount": amount,
            "cardData": {
                "cardNumber": card.number,
                "cardExpiry": f"{int(card.exp_month):02d}{int(card.exp_year) % 100:02d}",
                "cardCVV": request.cvc or "",
                "cardHolderName": name[:100],
            },
            # Our key as the invoice number: what lookup() searches card transactions by.
            "invoice": {"invoiceNumber": request.idempotency_key, "notes": request.description[:200]},
        }
        if not request.cvc:
            del body["cardData"]["cardCVV"]
        path = "payment/purchase" if request.capture else "payment/preauth"
        status, payload = self._call("POST", path, body=body, key=request.idempotency_key)
        return self._result(status, payload, currency=request.currency)

    def _follow_up(self, path, body, *, key, amount, currency):
        status, payload = self._call("POST", path, body=body, key=key)
        result = self._result(status, payload, currency=currency)
        if isinstance(result, Approved) and result.amount is None:
            return Approved(gateway_reference=result.gateway_reference, amount=amount, raw=result.raw)
        return result

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        body = {"preAuthTransactionId": int(gateway_reference), "amount": Decimal(major_str(amount, currency)),
                "ipAddress": self._ip(metadata), "ecommerce": True}  # fmt: skip
        return self._follow_up("payment/capture", body, key=idempotency_key, amount=amount, currency=currency)

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        body = {
            "cardTransactionId": int(gateway_reference),
            "ipAddress": self._ip(metadata),
            "ecommerce": True,
        }
        return self._follow_up("payment/reverse", body, key=idempotency_key, amount=amount, currency=currency)

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        body = {"originalTransactionId": int(gateway_reference), "amount": Decimal(major_str(amount, currency)),
                "ipAddress": self._ip(metadata), "ecommerce": True}  # fmt: skip
        result = self._follow_up(
            "payment/refund", body, key=idempotency_key, amount=amount, currency=currency
        )
        if isinstance(result, Declined) and result.decline_code == "invalid_request":
            return Declined(decline_code="refund_failed", network_code="", message=result.message,
                            code="refund_failed", raw=result.raw)  # fmt: skip
        return result

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        if operation != "authorize":
            # Card transactions carry the invoice number of the payment, not our key of a
            # capture or refund (declared: lookup_capture/void/refund are False).
            return lookup_not_supported(self.code, operation)
        status, payload = self._call("GET", "card-transactions", params={"invoiceNumber": idempotency_key})
        if status == 404 or not isinstance(payload, list):
            return None
        mine = [t for t in payload if str(t.get("invoiceNumber") or "") == idempotency_key
                and str(t.get("type") or "") in ("purchase", "preauth")]  # fmt: skip
        if not mine:
            return None
        result = self._result(200, mine[0], currency=str(mine[0].get("currency") or ""))
        return result if isinstance(result, (Approved, Declined, Pending)) else None

    def health(self) -> HealthStatus:
        def probe():
            status, payload = self._call("GET", "connection-test")
            if status != 200:
                raise ValueError(f"HTTP {status}")
            return str(payload.get("message") or "")

        return self.timed_health(probe)
