"""Verifone (Verifone eCommerce API, "GSC"), through its documented REST API over the shared HTTP
client (Verifone publishes no Python SDK).

Built from the Verifone eCommerce API reference 2.38.1 (docs.verifone.com; the OpenAPI "Verifone
eCommerce API" 2.38.1 and its schemas as mirrored in github:api-evangelist/verifone): ``POST /api/v2/transactions/card`` (TokenPaymentRequest with ``reuse_token``, or
EncryptedCardPaymentRequest with ``encrypted_card`` + ``public_key_alias``; ``capture_now``,
``auth_type``, ``merchant_reference``, header ``x-vfi-api-idempotencykey``; 201 EcomResponseCard),
Payment Modifications ``POST /api/v2/transactions/{id}/capture`` (``amount``; partial allowed),
``/void``, ``/refund`` (``amount``, ``reason``), ``GET /api/v2/transactions?merchant_reference=``
(List transactions: GatewayTransactions, decimal ``amount``), the 400 body BadRequestV2Docs
(``code``, ``message``, ``details``, ``reversal_status``); servers: Global Sandbox
``cst.test-gsc.vfims.com``, Americas Sandbox ``uscst-gb.gsc.vficloud.net``, production
``emea|us|nz.gsc.verifone.cloud``; HTTP Basic authentication (user id and API key).

Verifone takes no plaintext card numbers from a server: a payment carries a Verifone
``reuse_token`` or a card encrypted in the browser by Verifone.js (``encrypted_card`` and its
``public_key_alias``), read from the request's card (``card.provider_token``: the vault's record of
``payment_method_data[card][verifone][…]``, apps.vault.provider_tokens; never from metadata, which
is stored and shown back in plaintext); without one the payment answers "not supported".
Amounts are integers in the currency's minor units (ISO 4217), from the currency table.

Credentials (from the connector account only): ``user_uid``, ``api_key``,
``payment_provider_contract``. Config: ``region`` (emea | us | nz; default emea).

No settlement report: Verifone Central's Settlements and transaction reports are dashboard pages (the
transaction report exports as CSV); Verifone's Reporting API serves only in-store APM payout reports.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from requests.auth import HTTPBasicAuth

from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    Declined,
    HealthStatus,
    PaymentRequest,
    Pending,
    RetryableError,
    lookup_not_supported,
    not_supported,
)
from apps.connectors.http import ProviderHTTP
from apps.connectors.money import AmountPrecisionError, from_major, from_provider_minor, to_provider_minor

from . import statuses

LIVE_HOSTS = {
    "emea": "https://emea.gsc.verifone.cloud/oidc/",
    "us": "https://us.gsc.verifone.cloud/oidc/",
    "nz": "https://nz.gsc.verifone.cloud/oidc/",
}
TEST_HOSTS = {
    "emea": "https://cst.test-gsc.vfims.com/oidc/",
    "us": "https://uscst-gb.gsc.vficloud.net/oidc/",
    "nz": "https://cst.test-gsc.vfims.com/oidc/",
}
_KEY_NAMESPACE = uuid.UUID("0b6b2c9e-5d1f-4c0a-8d7e-2f4a9c1e3b57")


def verifone_key(our_key: str) -> str:
    """The ``x-vfi-api-idempotencykey`` (a UUID) for one of our keys, stable across retries."""
    return str(uuid.uuid5(_KEY_NAMESPACE, our_key))


class VerifoneAdapter(ProviderAdapter):
    code = "verifone"
    display_name = "Verifone"
    sdk = ""
    api_version = "eCommerce API v2 (reference 2.38.1)"
    documentation = (
        "Verifone eCommerce API reference 2.38.1 (docs.verifone.com; its OpenAPI as mirrored in "
        "github:api-evangelist/verifone): Ecom Payments, Payment Modifications, Transactions (List transactions)",
    )
    notes = (
        "Takes Verifone reuse tokens or Verifone.js-encrypted cards, never card numbers; 3-D Secure runs "
        "through Verifone's separate 3DS API in the browser (its result rides in threed_authentication), "
        "so there is no server redirect round trip; Verifone's event notifications are not verified here "
        "(their signing scheme was not in the stored reference), so no webhooks; no settlement report "
        "(Verifone Central's settlement and transaction reports are dashboard pages and CSV exports)."
    )
    test_mode = True
    live_mode = True
    credential_fields = ("user_uid", "api_key", "payment_provider_contract")
    capabilities = {
        "payment_method_types": ["card"],
        "card_networks": ["amex", "diners", "discover", "jcb", "maestro", "mastercard", "visa"],
        "currencies": None,
        "countries": None,
        "flows": ["direct"],
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
        contract = str(credentials.get("payment_provider_contract") or "")
        if contract:
            try:
                uuid.UUID(contract)
            except ValueError:
                raise ValueError("payment_provider_contract is a Verifone contract id (a UUID).") from None

    def base_url(self) -> str:
        region = str(self.config.get("region") or "emea").lower()
        hosts = LIVE_HOSTS if self.livemode else TEST_HOSTS
        return hosts.get(region, hosts["emea"])

    def build_http(self) -> ProviderHTTP:
        client = super().build_http()
        client.auth = HTTPBasicAuth(self.credential("user_uid"), self.credential("api_key"))
        return client

    # ------------------------------------------------------------------ results
    def _call(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, key: str = "", params=None
    ):
        headers = {"Accept": "application/json"}
        if key:
            headers["x-vfi-api-idempotencykey"] = verifone_key(key)
        answer = self.http.request(method, path, json_body=body, params=params, headers=headers)
        try:
            # List transactions carries decimal amounts: read from their text, never as floats.
            payload = json.loads(answer.content, parse_float=Decimal) if answer.content else {}
        except ValueError:
            payload = {}
        return answer.status, payload

    def _error(self, status: int, payload: Any, *, refund: bool = False) -> Declined:
        payload = payload if isinstance(payload, Mapping) else {}
        details = payload.get("details") or {}
        detail = "; ".join(f"{k}: {v}" for k, v in details.items()) if isinstance(details, Mapping) else ""
        message = str(payload.get("message") or f"Verifone answered HTTP {status}.")
        if status == 404:
            decline_code = "charge_not_found"
        elif refund:
            decline_code = "refund_not_allowed"
        else:
            decline_code = "invalid_request"
        return Declined(
            decline_code=decline_code, network_code="", code="refund_failed" if refund else "card_declined",
            message=f"{message} {detail}".strip()[:500],
            raw={"http_status": status, "details": details, "reversal_status": payload.get("reversal_status")},
        )  # fmt: skip

    def _result(self, payload: Mapping[str, Any], *, amount: int | None, currency: str, refund: bool = False):
        status = str(payload.get("status") or "")
        tx_id = str(payload.get("id") or "")
        value = payload.get("amount")
        done = amount
        if isinstance(value, int) and currency:
            try:
                done = from_provider_minor(value, currency)
            except AmountPrecisionError:
                done = amount
        raw = dict(payload)
        if status in statuses.APPROVED and not payload.get("blocked"):
            return Approved(
                gateway_reference=tx_id,
                authorization_code=str(payload.get("authorization_code") or ""),
                network_code=str(payload.get("reason_code") or "0000")[-2:],
                amount=done,
                cvc_check={"1": "pass", "2": "fail", "3": "unchecked", "6": "unavailable"}.get(
                    str(payload.get("cvv_result") or "")
                ),
                raw=raw,
            )
        if status in statuses.PENDING:
            return Pending(gateway_reference=tx_id, message=f"Verifone transaction {status}.", raw=raw)
        if payload.get("blocked"):
            decline_code, code = "fraudulent", "card_declined"
        else:
            decline_code, code = statuses.decline_for(
                str(payload.get("reason_code") or ""), str(payload.get("refusal_reason") or "")
            )
        if refund and code == "card_declined":
            code = "refund_failed"
        reason = str(payload.get("status_reason") or status or "DECLINED")
        return Declined(decline_code=decline_code, network_code=str(payload.get("reason_code") or ""),
                        code=code, gateway_reference=tx_id, message=f"{reason} ({payload.get('reason_code') or '-'})",
                        raw=raw)  # fmt: skip

    # ------------------------------------------------------------------ operations
    def authorize(self, request: PaymentRequest):
        metadata = dict(request.metadata or {})
        card_token = getattr(request.card, "provider_token", None) or {}
        if card_token.get("provider") != self.code:
            card_token = {}
        token = str(card_token.get("reuse_token") or "")
        encrypted = str(card_token.get("encrypted_card") or "")
        if not token and not encrypted:
            return not_supported(
                self.code, "card numbers (Verifone takes reuse tokens or Verifone.js-encrypted cards)"
            )
        try:
            amount = to_provider_minor(request.amount, request.currency)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        body: dict[str, Any] = {
            "payment_provider_contract": self.credential("payment_provider_contract"),
            "amount": amount,
            "currency_code": request.currency.upper(),
            "capture_now": bool(request.capture),
            "auth_type": "FINAL_AUTH" if request.capture else "PRE_AUTH",
            "merchant_reference": request.idempotency_key[:50],
            "shopper_interaction": "ECOMMERCE",
        }
        if token:
            body["reuse_token"] = token
        else:
            body["encrypted_card"] = encrypted
            body["public_key_alias"] = str(card_token.get("public_key_alias") or "")
        if metadata.get("ip_address"):
            body["customer_ip"] = str(metadata["ip_address"])[:15]
        if request.statement_descriptor:
            body["dynamic_descriptor"] = request.statement_descriptor[:25]
        if request.description:
            body["sales_description"] = request.description[:200]
        status, payload = self._call(
            "POST", "api/v2/transactions/card", body=body, key=request.idempotency_key
        )
        if status >= 400:
            return self._error(status, payload)
        return self._result(payload, amount=request.amount, currency=request.currency)

    def _modify(
        self, operation: str, gateway_reference: str, *, key: str, body=None, amount, currency, refund=False
    ):
        status, payload = self._call(
            "POST", f"api/v2/transactions/{gateway_reference}/{operation}", body=body, key=key
        )
        if status >= 400:
            return self._error(status, payload, refund=refund)
        return self._result(payload, amount=amount, currency=currency, refund=refund)

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        try:
            value = to_provider_minor(amount, currency)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        return self._modify("capture", gateway_reference, key=idempotency_key, body={"amount": value},
                            amount=amount, currency=currency)  # fmt: skip

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return self._modify("void", gateway_reference, key=idempotency_key, amount=amount, currency=currency)

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        try:
            value = to_provider_minor(amount, currency)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        body = {"amount": value}
        if (metadata or {}).get("reason"):
            body["reason"] = str(metadata["reason"])[:200]
        return self._modify("refund", gateway_reference, key=idempotency_key, body=body, amount=amount,
                            currency=currency, refund=True)  # fmt: skip

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        if operation != "authorize":
            # Captures and refunds carry no merchant reference of ours (declared:
            # lookup_capture/void/refund are False).
            return lookup_not_supported(self.code, operation)
        status, payload = self._call(
            "GET", "api/v2/transactions", params={"merchant_reference": idempotency_key[:50], "_limit": 10}
        )
        if status == 404:
            return None
        if status >= 400 or not isinstance(payload, list):
            return RetryableError(code="provider_error", outcome_unknown=True, message=f"HTTP {status}")
        mine = [t for t in payload if t.get("merchant_reference") == idempotency_key[:50]
                and t.get("transaction_type") in ("SALE", "AUTHORISATION", "PREAUTH")]  # fmt: skip
        if not mine:
            return None
        tx = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in mine[0].items()}
        state = str(tx.get("transaction_status") or "")
        currency = str(tx.get("currency_code") or "")
        amount = None
        if tx.get("amount") is not None and currency:
            try:
                amount = from_major(Decimal(str(tx["amount"])), currency)
            except AmountPrecisionError:
                amount = None
        if state in statuses.LISTED_APPROVED:
            return Approved(gateway_reference=str(tx.get("id") or ""), amount=amount,
                            authorization_code=str(tx.get("authorization_code") or ""), raw=tx)  # fmt: skip
        if state in statuses.LISTED_DECLINED:
            decline_code, code = statuses.decline_for(str(tx.get("reason_code") or ""))
            return Declined(decline_code=decline_code, network_code=str(tx.get("reason_code") or ""), code=code,
                            gateway_reference=str(tx.get("id") or ""), message=state, raw=tx)  # fmt: skip
        return Pending(gateway_reference=str(tx.get("id") or ""), message=state, raw=tx)

    def health(self) -> HealthStatus:
        def probe():
            status, _ = self._call("GET", "api/v2/transactions", params={"_limit": 1})
            if status >= 400:
                raise ValueError(f"HTTP {status}")
            return "transactions reachable"

        return self.timed_health(probe)
