"""ZainCash (Iraq): a mobile-wallet payment through ZainCash's hosted payment page.

Built from ZainCash's "Payment Gateway API" v1 as its published merchant integrations use it
(the test environment https://test.zaincash.iq with its public test merchant, and the open-source
clients github.com/moamlrh/ZainCash.Net and ZainCash's iOS SDK, which show the endpoints, the
signed fields and the answers):

* ``POST /transaction/init`` (form: ``token``, ``merchantId``, ``lang``), the token a JWT (HS256,
  the merchant secret) of ``amount`` (whole Iraqi dinars), ``serviceType``, ``msisdn`` (the
  merchant wallet), ``orderId``, ``redirectUrl``, ``iat``, ``exp`` → the transaction
  (``id``, ``status: "pending"``, ``amount``, ``orderId``…) or ``{"err": {"msg": …}}``;
* the customer pays at ``/transaction/pay?id=<id>`` and is sent back to ``redirectUrl`` with
  ``?token=`` — a JWT signed with the same secret holding ``status`` (``success`` | ``failed`` |
  ``pending``), ``id``, ``orderid`` and ``msg``. That signed redirect is ZainCash's only callback:
  Clearhouse's ``redirectUrl`` is the connector's gateway return endpoint, which stores, verifies
  and applies it like any provider callback before sending the customer to the merchant's
  ``return_url``;
* ``POST /transaction/get`` (form: ``token`` = JWT of ``id``, ``msisdn``; ``merchantId``) → the
  transaction with its current ``status``.

Not covered, because the v1 API has no such call: refunds and reversals (done by ZainCash on the
merchant's request, outside the API), authorization holds (a wallet payment is a sale), lookup by
*our* reference (ZainCash finds a transaction by its own id only), settlement reports (the merchant
wallet's statement is in ZainCash's app and merchant panel only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    Declined,
    InboundEvent,
    InboundWebhookError,
    PaymentRequest,
    Pending,
    RequiresAction,
    RetryableError,
)
from apps.connectors.declines import DO_NOT_RETRY, RETRY_ELSEWHERE
from apps.connectors.http import ProviderHTTPError
from apps.connectors.money import AmountPrecisionError

from . import tokens

# ZainCash takes whole dinars: ISO 4217 gives IQD three decimals (fils), nobody uses them.
EXPONENTS = {"IQD": 0}
# ZainCash refuses payments under 250 IQD (its integration guides); in our minor units (fils).
MIN_AMOUNT = 250_000


class ZainCashAdapter(ProviderAdapter):
    code = "zaincash"
    display_name = "ZainCash"
    sdk = ""
    api_version = "Payment Gateway API v1 (transaction/init, transaction/get)"
    documentation = (
        "ZainCash Payment Gateway API v1 (test environment https://test.zaincash.iq)",
        "github.com/moamlrh/ZainCash.Net (open-source client: endpoints, token claims, answers)",
    )
    notes = (
        "Refunds, holds, lookup by our reference and settlement reports are not in ZainCash's "
        "API; the signed redirect back to Clearhouse is its only callback."
    )
    supported_payment_method_types = ("zaincash",)
    capabilities = {
        "payment_method_types": ["zaincash"],
        "card_networks": None,
        "currencies": ["IQD"],
        "countries": ["IQ"],
        "flows": ["redirect"],
        "min_amount": MIN_AMOUNT,
        "max_amount": None,
        "three_d_secure": False,
        "manual_capture": False,
        "partial_capture": False,
        "voids": False,
        "refunds": False,
        "partial_refunds": False,
        "lookup": False,
        "webhooks": True,
        "settlement_reports": False,
        "payouts": False,
    }
    credential_fields = ("merchant_id", "msisdn", "secret")
    test_base_url = "https://test.zaincash.iq"
    live_base_url = "https://api.zaincash.iq"
    decline_table = {
        # a wallet payment the customer did not complete: another provider cannot help
        "zaincash_failed": DO_NOT_RETRY,
        "insufficient_funds": DO_NOT_RETRY,
        "expired": DO_NOT_RETRY,
        # ZainCash refused to open the transaction (its service, not the customer)
        "zaincash_init_refused": RETRY_ELSEWHERE,
    }

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        msisdn = str(credentials.get("msisdn", ""))
        if msisdn and not (msisdn.isdigit() and msisdn.startswith("964") and len(msisdn) == 13):
            raise ValueError("credentials[msisdn] is the merchant wallet number, 964 and ten digits.")

    # ------------------------------------------------------------------ payments
    def authorize(self, request: PaymentRequest):
        return self.start_redirect(request)

    def start_redirect(self, request: PaymentRequest):
        try:
            dinars = self.money.to_provider_minor(request.amount, request.currency, exponents=EXPONENTS)
        except AmountPrecisionError as exc:
            return Declined(
                code="invalid_amount", decline_code="invalid_amount", network_code="", message=str(exc)
            )
        if request.currency.upper() != "IQD":
            return Declined(
                code="currency_not_supported", decline_code="currency_not_supported", network_code="",
                message="ZainCash takes Iraqi dinars only.",
            )  # fmt: skip
        claims = {
            "amount": dinars,
            "serviceType": (self.config.get("service_type") or request.description or "Order")[:100],
            "msisdn": self.credential("msisdn"),
            "orderId": request.reference or request.idempotency_key,
            "redirectUrl": self.config.get("return_url") or request.return_url,
        }
        try:
            response = self.http.request(
                "POST",
                "/transaction/init",
                data={
                    "token": tokens.sign(claims, self.credential("secret")),
                    "merchantId": self.credential("merchant_id"),
                    "lang": self.config.get("lang", "en"),
                },
            )
        except ProviderHTTPError as exc:
            # Even if ZainCash opened the transaction, nobody was sent to its page: no money can
            # move without the customer paying there, so the outcome is known (nothing happened)
            # and the attempt may fail or fail over instead of waiting for a lookup ZainCash lacks.
            return RetryableError(
                code=exc.code, message=str(exc), outcome_unknown=False, http_status=exc.http_status
            )
        body = _json(response)
        transaction_id = str(body.get("id") or "")
        if response.status != 200 or not transaction_id:
            message = str((body.get("err") or {}).get("msg") or body.get("msg") or f"HTTP {response.status}")
            return Declined(
                code="processing_error", decline_code="zaincash_init_refused", network_code="",
                message=f"ZainCash refused the transaction: {message}"[:500], raw=body,
            )  # fmt: skip
        return RequiresAction(
            kind="redirect_to_url",
            reference=transaction_id,
            url=f"{self.base_url()}/transaction/pay?id={transaction_id}",
            gateway_reference=transaction_id,
            raw={"status": body.get("status", "pending")},
        )

    def confirm_redirect(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        """The customer is back: the signed redirect token decides when there is one (it is
        ZainCash's own answer); otherwise ZainCash is asked for the transaction's status."""
        token = payload.get("token") if isinstance(payload, Mapping) else None
        if token:
            try:
                claims = tokens.verify(str(token), self.credential("secret"))
            except tokens.TokenError as exc:
                return Declined(
                    code="authentication_failed", decline_code="authentication_failed", network_code="",
                    message=str(exc),
                )  # fmt: skip
            if str(claims.get("id", "")) != reference:
                return Declined(
                    code="authentication_failed", decline_code="authentication_failed", network_code="",
                    message="The ZainCash token is about another transaction.",
                )  # fmt: skip
            return self._result(claims, reference, amount=request.amount)
        return self._result(self._fetch(reference), reference, amount=request.amount)

    def _fetch(self, transaction_id: str) -> dict[str, Any]:
        response = self.http.request(
            "POST",
            "/transaction/get",
            data={
                "token": tokens.sign(
                    {"id": transaction_id, "msisdn": self.credential("msisdn")}, self.credential("secret")
                ),
                "merchantId": self.credential("merchant_id"),
            },
            idempotent=True,  # a read, sent as a form POST
        )
        return _json(response)

    def _result(self, answer: Mapping[str, Any], reference: str, *, amount: int):
        status = str(answer.get("status", "")).lower()
        if status in ("success", "completed"):
            paid = answer.get("amount")
            if (
                paid is not None
                and self.money.from_provider_minor(int(paid), "IQD", exponents=EXPONENTS) != amount
            ):
                return Declined(
                    code="processing_error", decline_code="amount_mismatch", network_code="",
                    message=f"ZainCash reports {paid} IQD paid for this transaction.", gateway_reference=reference,
                )  # fmt: skip
            return Approved(gateway_reference=reference, network_code="", amount=amount, raw=_public(answer))
        if status == "pending":
            return Pending(gateway_reference=reference, message="The customer has not finished paying.")
        message = str(answer.get("msg") or (answer.get("err") or {}).get("msg") or "The payment failed.")
        return Declined(
            code="card_declined", decline_code=_decline_code(message), network_code="",
            message=f"ZainCash: {message}"[:500], gateway_reference=reference, raw=_public(answer),
        )  # fmt: skip

    # ------------------------------------------------------------------ the signed redirect
    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        token = _token_of(body)
        try:
            claims = tokens.verify(token, self.credential("secret"))
        except tokens.TokenError as exc:
            raise InboundWebhookError(str(exc), code=exc.code) from None
        transaction_id = str(claims.get("id") or "")
        status = str(claims.get("status") or "").lower()
        if not transaction_id or status not in ("success", "completed", "failed", "pending"):
            raise InboundWebhookError(
                "The ZainCash token names no transaction status.", code="invalid_payload"
            )
        event_type = {"success": "charge.succeeded", "completed": "charge.succeeded",
                      "failed": "charge.failed", "pending": "charge.pending"}[status]  # fmt: skip
        message = str(claims.get("msg") or "")
        return InboundEvent(
            provider_event_id=f"{transaction_id}:{status}",
            type=event_type,
            gateway_reference=transaction_id,
            occurred_at=dt.datetime.fromtimestamp(int(claims.get("iat", 0)), tz=dt.UTC),
            livemode=self.livemode,
            data={
                "token": token,
                "order_id": str(claims.get("orderid") or claims.get("orderId") or ""),
                "decline_code": _decline_code(message) if status == "failed" else "",
                "message": message[:500],
            },
        )

    def health(self):
        return self.timed_health(lambda: f"HTTP {self.http.request('GET', '/').status}")


def _json(response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _token_of(body: bytes) -> str:
    text = (body or b"").decode("utf-8", "replace").strip()
    if text.startswith("{"):
        import json

        try:
            return str(json.loads(text).get("token") or "")
        except (ValueError, AttributeError):
            return ""
    return dict(parse_qsl(text.lstrip("?"))).get("token", "")


def _decline_code(message: str) -> str:
    text = message.lower()
    if "balance" in text or "insufficient" in text:
        return "insufficient_funds"
    if "expire" in text:
        return "expired"
    return "zaincash_failed"


def _public(answer: Mapping[str, Any]) -> dict[str, Any]:
    """What of ZainCash's answer is kept with the attempt (no wallet numbers)."""
    keep = ("id", "status", "amount", "orderId", "orderid", "referenceNumber", "operationid", "msg")
    return {k: answer[k] for k in keep if k in answer}
