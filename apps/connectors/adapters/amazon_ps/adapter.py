"""Amazon Payment Services (formerly PayFort), through its documented server-to-server JSON API
over the shared HTTP client (APS has no official Python SDK).

Built from the APS developer documentation (https://paymentservices.amazon.com/docs):
* "Signature Calculation" (signature.py: SHA-256 of the sorted parameters wrapped in the SHA
  request phrase; responses and notifications signed with the SHA response phrase);
* the payment APIs, all ``POST /FortAPI/paymentApi`` (test ``sbpaymentservices.payfort.com``, live
  ``paymentservices.payfort.com``): ``PURCHASE`` / ``AUTHORIZATION`` with card data (the trusted
  server-to-server channel for PCI-DSS merchants: ``card_number``, ``expiry_date`` YYMM,
  ``card_security_code``), answered ``14000`` / ``02000``, or ``20064`` "3-D Secure check
  requested" with ``3ds_url``; "Capture API" (``CAPTURE``, partial, within 7 days),
  ``VOID_AUTHORIZATION``, ``REFUND`` (partial), ``query_command=CHECK_STATUS`` by
  ``merchant_reference`` ("Check Transaction Status"; ``12036`` "Order not found");
* "Error Codes" (statuses.py); "Direct Transaction Feedback" / notification feedback (the
  transaction's response parameters POSTed to the merchant, signed with the response phrase).

Amounts are strings in the currency's minor units (AED: x100, KWD: x1000), from the currency table.
Our idempotency key is the ``merchant_reference`` (what CHECK_STATUS finds); maintenance commands
name the order by it, so the gateway reference is ``<fort_id>:<merchant_reference>``.

Credentials (from the connector account only): ``merchant_identifier``, ``access_code``,
``sha_request_phrase``, ``sha_response_phrase``. Config: ``sha_type`` (sha256 | sha512),
``customer_email`` (APS requires one; used when the payment carries none).

No settlement report: the APS API reference documents the payment operations and a per-transaction
``CHECK_STATUS`` query, no report or settlement endpoint; settlement statements are downloaded from
the APS back office (see ``SETTLEMENT_SOURCES`` in apps/connectors/providers_table.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    Declined,
    HealthStatus,
    InboundEvent,
    InboundWebhookError,
    PaymentRequest,
    Pending,
    RequiresAction,
    lookup_not_supported,
)
from apps.connectors.money import AmountPrecisionError, from_provider_minor, to_provider_minor

from . import signature, statuses

TEST_API = "https://sbpaymentservices.payfort.com/FortAPI/paymentApi"
LIVE_API = "https://paymentservices.payfort.com/FortAPI/paymentApi"
_REFERENCE = re.compile(r"[^A-Za-z0-9_.\-]")

EVENT_TYPES = {
    ("AUTHORIZATION", "02"): "charge.authorized",
    ("AUTHORIZATION", "03"): "charge.failed",
    ("PURCHASE", "14"): "charge.succeeded",
    ("PURCHASE", "13"): "charge.failed",
    ("CAPTURE", "04"): "charge.captured",
    ("CAPTURE", "05"): "charge.capture_failed",
    ("VOID_AUTHORIZATION", "08"): "charge.voided",
    ("REFUND", "06"): "refund.succeeded",
    ("REFUND", "07"): "refund.failed",
}


def merchant_reference(key: str) -> str:
    """APS's merchant_reference for our key (alphanumerics, - _ ., at most 40)."""
    return _REFERENCE.sub("-", key)[:40]


def gateway_reference(fort_id: str, reference: str) -> str:
    return f"{fort_id}:{reference}"


def split_reference(value: str) -> tuple[str, str]:
    fort_id, _, reference = str(value).partition(":")
    return fort_id, reference


class AmazonPaymentServicesAdapter(ProviderAdapter):
    code = "amazon_ps"
    display_name = "Amazon Payment Services"
    sdk = ""
    api_version = "FortAPI paymentApi (JSON, SHA-256 signatures)"
    documentation = (
        "Amazon Payment Services developer docs (paymentservices.amazon.com/docs): Signature Calculation, "
        "Capture API, Check Transaction Status, Error Codes, Direct Transaction Feedback",
    )
    notes = (
        "Cards through the trusted server-to-server channel (the account must be enabled for card data; "
        "hosted/merchant-page tokenization and APMs — KNET, STC Pay, Apple Pay — are not wired); "
        "notifications carry no event id, so duplicates are recognised by fort_id and signature; "
        "no settlement report (APS publishes no report API; statements are back-office downloads)."
    )
    test_mode = True
    live_mode = True
    test_base_url = TEST_API
    live_base_url = LIVE_API
    credential_fields = ("merchant_identifier", "access_code", "sha_request_phrase", "sha_response_phrase")
    capabilities = {
        "payment_method_types": ["card"],
        "card_networks": ["amex", "mada", "mastercard", "meeza", "visa"],
        "currencies": ["AED", "BHD", "EGP", "EUR", "GBP", "JOD", "KWD", "OMR", "QAR", "SAR", "USD"],
        "countries": ["AE", "BH", "EG", "JO", "KW", "OM", "QA", "SA"],
        "flows": ["direct", "three_d_secure"],
        "three_d_secure": True,
        "manual_capture": True,
        "partial_capture": True,
        "voids": True,
        "refunds": True,
        "partial_refunds": True,
        "lookup": True,
        "webhooks": True,
        "settlement_reports": False,
        "payouts": False,
    }
    decline_table = statuses.DECLINE_TABLE

    # ------------------------------------------------------------------ signing and calling
    def _algorithm(self) -> str:
        value = str(self.config.get("sha_type") or "sha256").lower().replace("-", "")
        return value if value in signature.ALGORITHMS else "sha256"

    def _call(self, params: dict[str, Any]) -> dict[str, Any]:
        body = {
            **params,
            "access_code": self.credential("access_code"),
            "merchant_identifier": self.credential("merchant_identifier"),
            "language": "en",
        }
        body = {k: str(v) for k, v in body.items() if v is not None and v != ""}
        body["signature"] = signature.sign(
            body, self.credential("sha_request_phrase"), algorithm=self._algorithm()
        )
        answer = self.http.request(
            "POST",
            self.base_url(),
            data=json.dumps(body),
            headers={"Content-Type": "application/json;charset=UTF-8"},
        )
        try:
            payload = answer.json()
        except ValueError:
            payload = {}
        if not isinstance(payload, dict) or not payload.get("response_code"):
            return {"response_code": "00006", "status": "00",
                    "response_message": f"Unreadable answer (HTTP {answer.status})."}  # fmt: skip
        if not signature.valid(payload, self.credential("sha_response_phrase"), algorithm=self._algorithm()):
            # An answer we cannot trust: its outcome is unknown (lookup settles it).
            return {
                "response_code": "15777",
                "status": "15",
                "response_message": "Response signature mismatch.",
            }
        return payload

    # ------------------------------------------------------------------ results
    def _result(self, payload: Mapping[str, Any], *, currency: str, amount: int | None = None):
        status = str(payload.get("status") or "")
        code = str(payload.get("response_code") or "")
        fort_id = str(payload.get("fort_id") or "")
        reference = str(payload.get("merchant_reference") or "")
        ref = gateway_reference(fort_id, reference) if fort_id else ""
        raw = {k: v for k, v in payload.items() if k != "signature"}
        if status == statuses.ON_HOLD and payload.get("3ds_url"):
            return RequiresAction(kind="redirect_to_url", reference=ref or reference, url=str(payload["3ds_url"]),
                                  three_ds=True, gateway_reference=ref, raw=raw)  # fmt: skip
        if status in statuses.APPROVED:
            value = payload.get("amount")
            cur = str(payload.get("currency") or currency)
            done = amount
            if value not in (None, "") and cur:
                try:
                    done = from_provider_minor(int(value), cur)
                except (ValueError, AmountPrecisionError):
                    done = amount
            return Approved(gateway_reference=ref, authorization_code=str(payload.get("authorization_code") or ""),
                            network_code="00", amount=done, raw=raw)  # fmt: skip
        if status in statuses.PENDING:
            return Pending(gateway_reference=ref, message=str(payload.get("response_message") or ""), raw=raw)
        decline_code, result_code = statuses.decline_for(code)
        return Declined(decline_code=decline_code, network_code=code, code=result_code, gateway_reference=ref,
                        message=f"{payload.get('response_message') or 'Declined'} ({code})", raw=raw)  # fmt: skip

    # ------------------------------------------------------------------ operations
    def authorize(self, request: PaymentRequest):
        try:
            amount = to_provider_minor(request.amount, request.currency)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        card = request.card
        billing = request.billing_details or {}
        params = {
            "command": "PURCHASE" if request.capture else "AUTHORIZATION",
            "merchant_reference": merchant_reference(request.idempotency_key),
            "amount": amount,
            "currency": request.currency.upper(),
            "customer_email": billing.get("email") or self.config.get("customer_email") or "",
            "customer_name": billing.get("name") or "",
            "customer_ip": (request.metadata or {}).get("ip_address") or "",
            "card_number": card.number,
            "expiry_date": f"{int(card.exp_year) % 100:02d}{int(card.exp_month):02d}",
            "card_security_code": request.cvc or "",
            "card_holder_name": billing.get("name") or "",
            "eci": "RECURRING" if request.off_session else "ECOMMERCE",
            "order_description": (request.description or "")[:150],
            "return_url": request.return_url or "",
        }
        return self._result(self._call(params), currency=request.currency, amount=request.amount)

    def complete_3ds(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        # APS sends the shopper back to return_url with the transaction's response parameters,
        # signed with the response phrase; an unsigned or altered return is not believed — the
        # order's status is then asked for (CHECK_STATUS).
        params = {str(k): str(v) for k, v in dict(payload).items()}
        if signature.valid(params, self.credential("sha_response_phrase"), algorithm=self._algorithm()):
            return self._result(params, currency=request.currency, amount=request.amount)
        found = self.lookup(operation="authorize", idempotency_key=request.idempotency_key)
        if found is None:
            return Declined(decline_code="authentication_failed", network_code="", code="card_declined",
                            message="3-D Secure was not completed.")  # fmt: skip
        return found

    def _maintenance(self, command: str, gateway_ref: str, *, amount: int | None, currency: str):
        fort_id, reference = split_reference(gateway_ref)
        params = {"command": command, "merchant_reference": reference, "fort_id": fort_id}
        if amount is not None:
            try:
                params["amount"] = to_provider_minor(amount, currency)
            except AmountPrecisionError as exc:
                return Declined(
                    decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
                )
            params["currency"] = currency.upper()
        payload = self._call(params)
        payload.setdefault("fort_id", fort_id)
        payload.setdefault("merchant_reference", reference)
        return self._result(payload, currency=currency, amount=amount)

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return self._maintenance("CAPTURE", gateway_reference, amount=amount, currency=currency)

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        result = self._maintenance("VOID_AUTHORIZATION", gateway_reference, amount=None, currency=currency)
        if isinstance(result, Approved):
            return Approved(gateway_reference=result.gateway_reference, amount=amount, raw=result.raw)
        return result

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        result = self._maintenance("REFUND", gateway_reference, amount=amount, currency=currency)
        if isinstance(result, Declined) and result.code == "card_declined":
            return Declined(decline_code=result.decline_code, network_code=result.network_code, code="refund_failed",
                            message=result.message, gateway_reference=result.gateway_reference, raw=result.raw)  # fmt: skip
        return result

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        if operation != "authorize":
            # CHECK_STATUS finds orders, not captures or refunds, and APS has no idempotency
            # on those (declared: lookup_capture/void/refund are False).
            return lookup_not_supported(self.code, operation)
        payload = self._call(
            {"query_command": "CHECK_STATUS", "merchant_reference": merchant_reference(idempotency_key)}
        )
        code = str(payload.get("response_code") or "")
        if code == "12036":  # Order not found
            return None
        if str(payload.get("status")) != "12":
            return Pending(
                gateway_reference="", message=str(payload.get("response_message") or "unknown"), raw=payload
            )
        transaction = {
            **payload,
            "status": str(payload.get("transaction_status") or ""),
            "response_code": str(payload.get("transaction_code") or ""),
            "response_message": str(payload.get("transaction_message") or ""),
            "amount": payload.get("authorized_amount") or payload.get("amount"),
        }
        result = self._result(transaction, currency=str(payload.get("currency") or ""))
        if isinstance(result, RequiresAction):
            return Pending(
                gateway_reference=result.gateway_reference, message="Awaiting 3-D Secure.", raw=result.raw
            )
        return result

    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        # APS signs the parameters themselves (signature.py), not a header.
        text = body.decode("utf-8", "replace").strip()
        try:
            if text.startswith("{"):
                params = {str(k): v for k, v in json.loads(text).items()}
            else:
                params = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
        except ValueError:
            raise InboundWebhookError("Not an APS notification.", code="invalid_payload") from None
        if "signature" not in params:
            raise InboundWebhookError("The notification carries no signature.", code="signature_missing")
        params = {k: "" if v is None else str(v) for k, v in params.items()}
        if not signature.valid(params, self.credential("sha_response_phrase"), algorithm=self._algorithm()):
            raise InboundWebhookError(
                "The notification's signature does not match.", code="signature_invalid"
            )
        command = params.get("command") or params.get("query_command") or ""
        status = params.get("status", "")
        fort_id = params.get("fort_id", "")
        reference = params.get("merchant_reference", "")
        amount = None
        currency = params.get("currency", "")
        if params.get("amount") and currency:
            try:
                amount = from_provider_minor(int(params["amount"]), currency)
            except (ValueError, AmountPrecisionError):
                amount = None
        return InboundEvent(
            # No event id in APS notifications: the fort id and the signature (a digest of every
            # parameter) identify a delivery; a re-delivery repeats both.
            provider_event_id=f"{fort_id}-{params['signature'][:32]}",
            type=EVENT_TYPES.get((command, status), f"amazon_ps.{command.lower()}.{status}"),
            gateway_reference=gateway_reference(fort_id, reference) if fort_id else reference,
            occurred_at=dt.datetime.now(dt.UTC),
            livemode=self.livemode,
            amount=amount,
            currency=currency.lower(),
            data={
                "command": command,
                "status": status,
                "response_code": params.get("response_code", ""),
                "response_message": params.get("response_message", ""),
            },
        )

    def health(self) -> HealthStatus:
        def probe():
            payload = self._call({"query_command": "CHECK_STATUS", "merchant_reference": "clearhouse-health"})
            code = str(payload.get("response_code") or "")
            if code[2:] in ("008", "009", "010"):
                raise ValueError(payload.get("response_message") or code)
            return str(payload.get("response_message") or "")

        return self.timed_health(probe)
