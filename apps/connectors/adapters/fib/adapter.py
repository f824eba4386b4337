"""FIB — First Iraqi Bank's online payments: the customer pays from the FIB app, by scanning a QR
code or following an app link; FIB tells the merchant by a status callback.

Built from FIB's "Online Payment API" (documenter.getpostman.com/view/18377702/UVCB93tc, linked
from fib.iq/integrations/web-payments) and FIB's own SDKs, which show the endpoints, the bodies
and the statuses (github.com/First-Iraqi-Bank/fib-python-payment-sdk and the WooCommerce plugin
First-Iraqi-Bank/fib-wordpress-payment-sdk):

* OAuth2 client credentials: ``POST /auth/realms/fib-online-shop/protocol/openid-connect/token``
  (form ``grant_type=client_credentials``, ``client_id``, ``client_secret``) → ``access_token``;
* ``POST /protected/v1/payments`` (JSON ``monetaryValue {amount, currency}``,
  ``statusCallbackUrl``, ``description``, ``expiresIn``, ``refundableFor``, ``redirectUri``) →
  201 ``paymentId``, ``readableCode``, ``qrCode`` (a PNG data URL), ``validUntil``,
  ``personalAppLink`` / ``businessAppLink`` / ``corporateAppLink``;
* ``GET /protected/v1/payments/{id}/status`` → ``status`` ``UNPAID`` | ``PAID`` | ``DECLINED``
  (``decliningReason`` ``SERVER_FAILURE`` | ``PAYMENT_EXPIRATION`` | ``PAYMENT_CANCELLATION``) |
  ``REFUND_REQUESTED`` | ``REFUNDED``, with ``amount``, ``paidAt``, ``paidBy``;
* ``POST /protected/v1/payments/{id}/cancel`` (an unpaid payment) and ``…/refund`` (the whole
  payment, within ``refundableFor``).

The status callback is a bare ``{"id", "status"}`` POST with no signature of FIB's own. Clearhouse
therefore never believes its body: the callback only names a payment, and its status is read back
from FIB with the account's OAuth credentials; a payment FIB does not know is refused as a forged
callback. Not covered: lookup by *our* reference (FIB finds a payment by its own id only),
partial refunds (FIB refunds the whole payment), holds, settlement reports (none in the API: a paid
payment lands in the merchant's FIB business account, whose statement is in the FIB app).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

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

TOKEN_PATH = "/auth/realms/fib-online-shop/protocol/openid-connect/token"
PAYMENTS_PATH = "/protected/v1/payments"
EXPONENTS = {"IQD": 0}  # FIB takes whole dinars ("10000.00" in its examples)
PAYMENT_VALIDITY = "PT15M"  # how long the QR code may be paid (ISO 8601 duration, FIB's format)
REFUNDABLE_FOR = "P7D"  # FIB's SDK default
DECLINE_CODES = {
    "PAYMENT_EXPIRATION": "expired",
    "PAYMENT_CANCELLATION": "payment_canceled",
    "SERVER_FAILURE": "processing_error",
}


class FIBAdapter(ProviderAdapter):
    code = "fib"
    display_name = "FIB (First Iraqi Bank)"
    sdk = ""
    api_version = "Online Payment API v1 (/protected/v1/payments)"
    documentation = (
        "FIB Online Payment API (documenter.getpostman.com/view/18377702/UVCB93tc)",
        "github.com/First-Iraqi-Bank/fib-python-payment-sdk, fib-wordpress-payment-sdk",
    )
    notes = (
        "FIB's status callback is unsigned: Clearhouse reads the status back from FIB with the "
        "account's OAuth credentials and refuses a payment FIB does not know. Refunds are of the "
        "whole payment; no lookup by our reference; no settlement reports."
    )
    supported_payment_method_types = ("fib",)
    capabilities = {
        "payment_method_types": ["fib"],
        "card_networks": None,
        "currencies": ["IQD"],
        "countries": ["IQ"],
        "flows": ["qr", "deep_link"],
        "min_amount": 1_000,  # 1 IQD
        "max_amount": None,
        "three_d_secure": False,
        "manual_capture": False,
        "partial_capture": False,
        "voids": True,
        "refunds": True,
        "partial_refunds": False,
        "lookup": False,
        "webhooks": True,
        "settlement_reports": False,
        "payouts": False,
    }
    credential_fields = ("client_id", "client_secret")
    test_base_url = "https://fib.stage.fib.iq"
    live_base_url = "https://fib.prod.fib.iq"
    decline_table = {
        "expired": DO_NOT_RETRY,
        "payment_canceled": DO_NOT_RETRY,
        # FIB's own failure, not the customer's: another provider may take the payment
        "processing_error": RETRY_ELSEWHERE,
        "refund_refused": DO_NOT_RETRY,
    }

    # ------------------------------------------------------------------ OAuth
    def _headers(self) -> dict[str, str]:
        token = getattr(self, "_access_token", None)
        if token is None:
            response = self.http.request(
                "POST",
                TOKEN_PATH,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.credential("client_id"),
                    "client_secret": self.credential("client_secret"),
                },
                idempotent=True,  # obtaining a token moves nothing
            )
            token = str(_json(response).get("access_token") or "")
            if response.status != 200 or not token:
                raise ProviderHTTPError(
                    f"FIB refused the account's credentials (HTTP {response.status}).",
                    code="provider_error",
                    outcome_unknown=False,
                    http_status=response.status,
                )
            self._access_token = token
            self.http._secrets = sorted({*self.http._secrets, token}, key=len, reverse=True)
        return {"Authorization": f"Bearer {token}"}

    # ------------------------------------------------------------------ payments
    def authorize(self, request: PaymentRequest):
        return self.start_redirect(request)

    def start_redirect(self, request: PaymentRequest):
        if request.currency.upper() != "IQD":
            return Declined(
                code="currency_not_supported", decline_code="currency_not_supported", network_code="",
                message="FIB takes Iraqi dinars only.",
            )  # fmt: skip
        try:
            dinars = self.money.to_provider_minor(request.amount, "IQD", exponents=EXPONENTS)
        except AmountPrecisionError as exc:
            return Declined(
                code="invalid_amount", decline_code="invalid_amount", network_code="", message=str(exc)
            )
        body = {
            "monetaryValue": {"amount": f"{dinars}.00", "currency": "IQD"},
            "statusCallbackUrl": self.config.get("callback_url", ""),
            "description": (request.description or request.reference)[:50],
            "expiresIn": PAYMENT_VALIDITY,
            "refundableFor": REFUNDABLE_FOR,
        }
        if request.return_url:
            body["redirectUri"] = request.return_url
        try:
            response = self.http.request("POST", PAYMENTS_PATH, json_body=body, headers=self._headers())
        except ProviderHTTPError as exc:
            # A payment nobody was shown the QR code or app link of cannot be paid (and FIB lets it
            # expire): the outcome is known, so the attempt may fail or fail over.
            return RetryableError(
                code=exc.code, message=str(exc), outcome_unknown=False, http_status=exc.http_status
            )
        answer = _json(response)
        payment_id = str(answer.get("paymentId") or "")
        if response.status not in (200, 201) or not payment_id:
            return Declined(
                code="processing_error", decline_code="processing_error", network_code="",
                message=f"FIB refused the payment: {_error_text(answer, response.status)}"[:500], raw=answer,
            )  # fmt: skip
        return RequiresAction(
            kind="display_qr_code",
            reference=payment_id,
            url=str(answer.get("personalAppLink") or ""),
            qr_data=str(answer.get("personalAppLink") or answer.get("readableCode") or ""),
            expires_at=_unix(answer.get("validUntil")),
            gateway_reference=payment_id,
            raw={
                "readable_code": answer.get("readableCode"),
                "business_app_link": answer.get("businessAppLink"),
                "corporate_app_link": answer.get("corporateAppLink"),
            },
        )

    def confirm_redirect(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        """Whatever the customer's browser or the callback claimed, FIB's status decides."""
        return self._result(self._status(reference), reference, amount=request.amount)

    def _status(self, payment_id: str) -> tuple[int, dict[str, Any]]:
        response = self.http.request("GET", f"{PAYMENTS_PATH}/{payment_id}/status", headers=self._headers())
        return response.status, _json(response)

    def _result(self, fetched: tuple[int, dict[str, Any]], reference: str, *, amount: int):
        status_code, answer = fetched
        status = str(answer.get("status") or "").upper()
        if status_code == 404:
            return Declined(
                code="processing_error", decline_code="payment_not_found", network_code="",
                message="FIB does not know this payment.", gateway_reference=reference,
            )  # fmt: skip
        if status == "PAID":
            paid = (answer.get("amount") or {}).get("amount")
            if paid is not None and self.money.from_major(str(paid), "IQD") != amount:
                return Declined(
                    code="processing_error", decline_code="amount_mismatch", network_code="",
                    message=f"FIB reports {paid} IQD paid.", gateway_reference=reference,
                )  # fmt: skip
            return Approved(gateway_reference=reference, network_code="", amount=amount, raw=_public(answer))
        if status == "UNPAID":
            return Pending(gateway_reference=reference, message="The customer has not paid yet.")
        reason = str(answer.get("decliningReason") or "").upper()
        code = DECLINE_CODES.get(reason, "processing_error" if status == "DECLINED" else "payment_not_open")
        return Declined(
            code="card_declined", decline_code=code, network_code="",
            message=f"FIB: the payment is {status or 'unknown'}{f' ({reason})' if reason else ''}.",
            gateway_reference=reference, raw=_public(answer),
        )  # fmt: skip

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        response = self.http.request(
            "POST", f"{PAYMENTS_PATH}/{gateway_reference}/cancel", headers=self._headers(), idempotent=True
        )  # cancelling twice cancels once
        if response.status in (200, 202, 204):
            return Approved(gateway_reference=gateway_reference, network_code="", amount=amount)
        return Declined(
            code="processing_error", decline_code="cancel_refused", network_code="",
            message=f"FIB refused the cancellation: {_error_text(_json(response), response.status)}"[:500],
        )  # fmt: skip

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        response = self.http.request(
            "POST", f"{PAYMENTS_PATH}/{gateway_reference}/refund", headers=self._headers(), idempotent=True
        )  # FIB refunds a payment once, whatever the number of requests
        if response.status in (200, 202, 204):
            # REFUND_REQUESTED → REFUNDED arrives by the status callback
            return Pending(gateway_reference=gateway_reference, message="FIB accepted the refund request.")
        return Declined(
            code="refund_failed", decline_code="refund_refused", network_code="",
            message=f"FIB refused the refund: {_error_text(_json(response), response.status)}"[:500],
            gateway_reference=gateway_reference,
        )  # fmt: skip

    # ------------------------------------------------------------------ the status callback
    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        try:
            claimed = json.loads(body or b"{}")
        except ValueError:
            raise InboundWebhookError("The FIB callback is not JSON.", code="invalid_payload") from None
        payment_id = str(claimed.get("id") or "") if isinstance(claimed, dict) else ""
        if not payment_id or len(payment_id) > 64:
            raise InboundWebhookError("The FIB callback names no payment.", code="signature_missing")
        status_code, answer = self._status(payment_id)
        if status_code == 404:
            raise InboundWebhookError(
                "FIB does not know the payment this callback names.", code="signature_invalid"
            )
        if status_code != 200:
            raise ProviderHTTPError(
                f"FIB answered HTTP {status_code} to the status read-back.",
                code="provider_error", outcome_unknown=False, http_status=status_code,
            )  # fmt: skip
        status = str(answer.get("status") or "").upper()
        event_type = {"PAID": "charge.succeeded", "DECLINED": "charge.failed", "REFUNDED": "refund.succeeded",
                      "UNPAID": "charge.pending", "REFUND_REQUESTED": "refund.pending"}.get(status)  # fmt: skip
        if event_type is None:
            raise InboundWebhookError(f"FIB status {status!r} is not known.", code="invalid_payload")
        reason = str(answer.get("decliningReason") or "").upper()
        money = answer.get("amount") or {}
        occurred = answer.get("paidAt") or answer.get("declinedAt")
        return InboundEvent(
            provider_event_id=f"{payment_id}:{status}",
            type=event_type,
            gateway_reference=payment_id,
            occurred_at=_datetime(occurred) or dt.datetime.now(tz=dt.UTC),
            livemode=self.livemode,
            amount=self.money.from_major(str(money["amount"]), "IQD") if money.get("amount") else None,
            currency="iqd" if money.get("amount") else "",
            data={
                "status": status,
                "decline_code": DECLINE_CODES.get(reason, "processing_error") if status == "DECLINED" else "",
                "message": f"FIB: {status}{f' ({reason})' if reason else ''}",
            },
        )

    def health(self):
        return self.timed_health(lambda: self._headers() and "token issued")


def _json(response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_text(answer: Mapping[str, Any], status: int) -> str:
    errors = answer.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("detail") or first.get("title") or first.get("code") or f"HTTP {status}")
    return str(answer.get("message") or answer.get("error_description") or f"HTTP {status}")


def _datetime(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _unix(value) -> int | None:
    parsed = _datetime(value)
    return int(parsed.timestamp()) if parsed else None


def _public(answer: Mapping[str, Any]) -> dict[str, Any]:
    """FIB's answer without the payer's name and IBAN."""
    return {
        k: answer[k]
        for k in ("paymentId", "status", "decliningReason", "paidAt", "validUntil")
        if k in answer
    }
