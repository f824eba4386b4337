"""Square, through the official ``squareup`` SDK (46.0.0.20260916) on the Payments and Refunds APIs.

Built from:
* Square API reference (https://developer.squareup.com/reference/square): Payments API —
  ``CreatePayment`` (``POST /v2/payments`` with ``autocomplete=false`` for an authorization,
  ``reference_id`` = our idempotency key), ``CompletePayment`` (``/v2/payments/{id}/complete``),
  ``CancelPayment`` (``/cancel``), ``ListPayments`` (lookup); Refunds API — ``RefundPayment``
  (``POST /v2/refunds``, PENDING until the card network settles it); the error object
  ``{"errors": [{"category", "code", "detail", "field"}]}``;
* "Payments API: delayed capture" (an APPROVED payment is completed or canceled; CompletePayment
  takes no amount, so there is no partial capture) and "Validate webhook notifications"
  (``x-square-hmacsha256-signature``: base64 HMAC-SHA256 of notification URL + body);
* the SDK, github:square/square-python-sdk (``Square(token=, environment=, version=, httpx_client=)``;
  ``square.utils.webhooks_helper.verify_signature``).

Square takes no card numbers: ``source_id`` is a Web Payments SDK token (``cnon:…``) or a card on
file (``ccof:…``), read from the request's card (``card.provider_token``: the vault's record of
``payment_method_data[card][square][source_id]``, apps.vault.provider_tokens); a payment without
one answers "not supported" and fails over. Buyer verification (SCA) runs in the browser
(``verifyBuyer``): its token is ``payment_method_data[card][square][verification_token]``;
without it an issuer's CARD_DECLINED_VERIFICATION_REQUIRED maps to ``authentication_required``.
Neither ever rides in metadata (which is stored and shown back in plaintext).

Credentials (from the connector account only): ``access_token``; optional
``webhook_signature_key``. Config: ``location_id`` (else the seller's main location),
``webhook_notification_url`` (the subscription's URL, part of the signed payload). Test mode
talks to connect.squareupsandbox.com, live mode to connect.squareup.com; ``Square-Version`` is
pinned on every call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from square import Square
from square.core.api_error import ApiError
from square.environment import SquareEnvironment

from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    Declined,
    HealthStatus,
    InboundEvent,
    InboundWebhookError,
    PaymentRequest,
    Pending,
    RetryableError,
    SettlementLine,
    lookup_not_supported,
    not_supported,
)
from apps.connectors.money import AmountPrecisionError, from_provider_minor, to_provider_minor

from . import statuses, webhooks
from .transport import httpx_client

API_VERSION = "2026-09-16"  # Square-Version the adapter was written and recorded against
NO_RETRIES = {"max_retries": 0}
LOOKUP_WINDOW = dt.timedelta(hours=72)
LOOKUP_MAX = 500


def _dump(model: Any) -> dict:
    if model is None:
        return {}
    try:
        return model.model_dump(mode="json", exclude_none=True)
    except AttributeError:
        return dict(model) if isinstance(model, Mapping) else {}


class SquareAdapter(ProviderAdapter):
    code = "square"
    display_name = "Square"
    sdk = "squareup==46.0.0.20260916"
    api_version = f"Square-Version {API_VERSION}"
    documentation = (
        "Square API reference: Payments API, Refunds API, ErrorCode (developer.squareup.com/reference/square)",
        "Square docs: delayed capture; Payments API error codes; validate webhook notifications",
        "squareup 46.0.0.20260916 source (github:square/square-python-sdk)",
    )
    notes = (
        "Takes Square payment tokens (Web Payments SDK cnon:/card on file ccof:), never card numbers; "
        "no partial capture (CompletePayment has no amount); buyer verification (3DS/SCA) runs in the "
        "browser, so no server 3DS round trip; payout entries other than charges, refunds, disputes and fees "
        "(reserve holds, Square Capital, payroll) are left out of the settlement report (Payouts API)."
    )
    supported_payment_method_types = ("card",)
    test_mode = True
    live_mode = True
    test_base_url = SquareEnvironment.SANDBOX.value
    live_base_url = SquareEnvironment.PRODUCTION.value
    credential_fields = ("access_token",)
    optional_credential_fields = ("webhook_signature_key",)
    capabilities = {
        "payment_method_types": ["card"],
        "card_networks": ["amex", "discover", "diners", "jcb", "mastercard", "unionpay", "visa"],
        # Square processes in the seller's own currency, in these markets
        "currencies": ["AUD", "CAD", "EUR", "GBP", "JPY", "USD"],
        "countries": ["AU", "CA", "ES", "FR", "GB", "IE", "JP", "US"],
        "flows": ["direct"],
        "min_amount": 1,
        "max_amount": None,
        "three_d_secure": False,
        "manual_capture": True,
        "partial_capture": False,
        "voids": True,
        "refunds": True,
        "partial_refunds": True,
        "lookup": True,
        "lookup_capture": True,
        "lookup_void": True,
        "webhooks": True,
        "settlement_reports": True,
        "payouts": False,
    }
    decline_table = statuses.DECLINE_TABLE

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        token = str(credentials.get("access_token") or "")
        if token and (len(token) < 20 or " " in token):
            raise ValueError("access_token is not a Square access token.")

    # ------------------------------------------------------------------ the SDK
    def _api(self) -> Square:
        if getattr(self, "_square", None) is None:
            self._square = Square(
                token=self.credential("access_token"),
                environment=SquareEnvironment.PRODUCTION if self.livemode else SquareEnvironment.SANDBOX,
                version=API_VERSION,
                httpx_client=httpx_client(self.http),
            )
        return self._square

    def _location(self) -> dict:
        location = str(self.config.get("location_id") or "")
        return {"location_id": location} if location else {}

    # ------------------------------------------------------------------ results
    def _declined(self, exc: ApiError, *, gateway_reference: str = "") -> Declined:
        errors = list(exc.errors or [])
        first = errors[0] if errors else None
        code = str(getattr(first, "code", "") or "")
        category = str(getattr(first, "category", "") or "")
        decline_code, result_code = statuses.decline_for(code, category)
        body = exc.body if isinstance(exc.body, Mapping) else {}
        payment = body.get("payment") or {}
        card = payment.get("card_details") or {}
        return Declined(
            decline_code=decline_code,
            network_code=str(card.get("auth_result_code") or ""),
            message=str(getattr(first, "detail", "") or code or f"Square answered HTTP {exc.status_code}."),
            code=result_code,
            gateway_reference=str(payment.get("id") or gateway_reference),
            cvc_check=_cvv(card.get("cvv_status")),
            raw={"http_status": exc.status_code, "errors": [_dump(e) for e in errors]},
        )

    def _payment_result(self, payment: Any, *, currency: str):
        data = _dump(payment)
        status = data.get("status")
        card = data.get("card_details") or {}
        pay_id = str(data.get("id") or "")
        money = data.get("amount_money") or {}
        amount = None
        if isinstance(money.get("amount"), int) and money.get("currency"):
            amount = from_provider_minor(money["amount"], money["currency"])
        if status in ("APPROVED", "COMPLETED"):
            return Approved(
                gateway_reference=pay_id,
                authorization_code=str(card.get("auth_result_code") or ""),
                amount=amount,
                cvc_check=_cvv(card.get("cvv_status")),
                address_postal_code_check=_avs(card.get("avs_status")),
                raw=data,
            )
        if status == "PENDING":
            return Pending(gateway_reference=pay_id, message="Square payment pending.", raw=data)
        errors = card.get("errors") or [{}]
        decline_code, result_code = statuses.decline_for(
            str(errors[0].get("code") or ""), "PAYMENT_METHOD_ERROR"
        )
        return Declined(
            decline_code=decline_code,
            network_code="",
            message=str(errors[0].get("detail") or f"Square payment {status}."),
            code=result_code,
            gateway_reference=pay_id,
            raw=data,
        )

    # ------------------------------------------------------------------ operations
    def authorize(self, request: PaymentRequest):
        token = getattr(request.card, "provider_token", None) or {}
        source = str(token.get("source_id") or "") if token.get("provider") == self.code else ""
        if not source.startswith(("cnon:", "ccof:", "wnon:")):
            return not_supported(self.code, "card numbers (Square takes its own payment tokens)")
        try:
            amount = to_provider_minor(request.amount, request.currency)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        extra = {}
        verification = token.get("verification_token")
        if verification:
            extra["verification_token"] = str(verification)
        if request.description:
            extra["note"] = request.description[:500]
        if request.statement_descriptor:
            extra["statement_description_identifier"] = request.statement_descriptor[:20]
        try:
            answer = self._api().payments.create(
                source_id=source,
                idempotency_key=request.idempotency_key[:45],
                amount_money={"amount": amount, "currency": request.currency.upper()},
                autocomplete=bool(request.capture),
                reference_id=request.idempotency_key[:40],
                request_options=NO_RETRIES,
                **self._location(),
                **extra,
            )
        except ApiError as exc:
            return self._declined(exc)
        return self._payment_result(answer.payment, currency=request.currency)

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        # CompletePayment completes the whole approved amount (partial_capture is False).
        try:
            answer = self._api().payments.complete(payment_id=gateway_reference, request_options=NO_RETRIES)
        except ApiError as exc:
            return self._declined(exc, gateway_reference=gateway_reference)
        return self._payment_result(answer.payment, currency=currency)

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        try:
            answer = self._api().payments.cancel(payment_id=gateway_reference, request_options=NO_RETRIES)
        except ApiError as exc:
            return self._declined(exc, gateway_reference=gateway_reference)
        data = _dump(answer.payment)
        if data.get("status") == "CANCELED":
            return Approved(
                gateway_reference=str(data.get("id") or gateway_reference), amount=amount, raw=data
            )
        return self._payment_result(answer.payment, currency=currency)

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        try:
            value = to_provider_minor(amount, currency)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        try:
            answer = self._api().refunds.refund_payment(
                idempotency_key=idempotency_key[:45],
                amount_money={"amount": value, "currency": currency.upper()},
                payment_id=gateway_reference,
                reason=str((metadata or {}).get("reason") or "")[:192] or None,
                request_options=NO_RETRIES,
            )
        except ApiError as exc:
            return self._declined(exc, gateway_reference=gateway_reference)
        data = _dump(answer.refund)
        refund_id = str(data.get("id") or "")
        status = data.get("status")
        if status == "COMPLETED":
            return Approved(gateway_reference=refund_id, amount=amount, raw=data)
        if status == "PENDING":
            return Pending(gateway_reference=refund_id, message="Square refund pending.", raw=data)
        return Declined(
            decline_code="refund_declined", network_code="", message=f"Square refund {status}.",
            code="refund_failed", gateway_reference=refund_id, raw=data,
        )  # fmt: skip

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        """An authorization: the payment whose ``reference_id`` is our key (ListPayments of the
        last 72 hours). A capture (CompletePayment) or void (CancelPayment): the payment
        ``reference`` as it now stands (GetPayment). Refunds are not looked up: a Square refund
        carries no key of ours (declared: lookup_refund False)."""
        if operation in ("capture", "void"):
            return self._lookup_follow_up(operation, reference)
        if operation != "authorize":
            return lookup_not_supported(self.code, operation)
        begin = (dt.datetime.now(dt.UTC) - LOOKUP_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
        pager = self._api().payments.list(begin_time=begin, sort_order="DESC", limit=100, **self._location())
        wanted = idempotency_key[:40]
        for seen, payment in enumerate(pager):
            if seen >= LOOKUP_MAX:
                break
            if getattr(payment, "reference_id", None) == wanted:
                return self._payment_result(payment, currency="")
        return None

    def _lookup_follow_up(self, operation: str, payment_id: str):
        if not payment_id:
            return lookup_not_supported(self.code, f"{operation} of an unknown payment")
        try:
            answer = self._api().payments.get(payment_id=payment_id)
        except ApiError as exc:
            return RetryableError(code="provider_error", outcome_unknown=True, http_status=exc.status_code,
                                  message=f"Square could not be asked for payment {payment_id}.")  # fmt: skip
        data = _dump(answer.payment)
        status = data.get("status")
        if status == "APPROVED":
            return None  # neither completed nor canceled: the operation never happened
        done = {"capture": "COMPLETED", "void": "CANCELED"}[operation]
        if status == done:
            if operation == "capture":
                return self._payment_result(answer.payment, currency="")
            return Approved(gateway_reference=str(data.get("id") or payment_id), raw=data)
        if status in ("COMPLETED", "CANCELED", "FAILED"):
            return Declined(
                decline_code=f"payment_{str(status).lower()}", network_code="", code=f"{operation}_failed",
                message=f"The Square payment is {status}: no {operation} was made.",
                gateway_reference=str(data.get("id") or payment_id), raw=data,
            )  # fmt: skip
        return Pending(
            gateway_reference=str(data.get("id") or payment_id), message=f"Square payment {status}."
        )

    def fetch_settlement_report(self, *, date: dt.date) -> list[SettlementLine]:
        """The entries of the payouts that arrive on ``date`` (Square "Payouts API": ListPayouts,
        then ListPayoutEntries per payout). A payout is created a few days before it arrives, so
        payouts created in the week before are read and kept by ``arrival_date``."""
        api = self._api()
        begin = dt.datetime.combine(date - dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC)
        end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        lines: list[SettlementLine] = []
        payouts = api.payouts.list(
            begin_time=begin.strftime("%Y-%m-%dT%H:%M:%SZ"), end_time=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **self._location(),
        )  # fmt: skip
        for payout in payouts:
            if payout.arrival_date != date.isoformat() or payout.status not in ("SENT", "PAID"):
                continue
            for entry in api.payouts.list_entries(payout.id):
                line = _settlement_line(entry, date)
                if line is not None:
                    lines.append(line)
        return lines

    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        key = str(self.credentials.get("webhook_signature_key") or "")
        url = str(self.config.get("webhook_notification_url") or "")
        if not key or not url:
            raise InboundWebhookError(
                "The account has no webhook_signature_key / webhook_notification_url.",
                code="signature_invalid",
            )
        return webhooks.parse(
            body, self.lower_headers(headers), signature_key=key, url=url, livemode=self.livemode
        )

    def health(self) -> HealthStatus:
        def probe():
            answer = self._api().locations.list()
            return f"{len(answer.locations or [])} locations"

        return self.timed_health(probe)


# Payout entry types (Square ActivityType) → settlement line types; others carry no payment.
ENTRY_TYPES = {
    "CHARGE": "capture",
    "REFUND": "refund",
    "DISPUTE": "dispute",
    "OPEN_DISPUTE": "dispute",
    "FEE": "fee",
    "TAX_ON_FEE": "fee",
    "THIRD_PARTY_FEE": "fee",
    "THIRD_PARTY_FEE_REFUND": "fee",
    "DEPOSIT_FEE": "fee",
}


def _settlement_line(entry: Any, date: dt.date) -> SettlementLine | None:
    data = _dump(entry)
    kind = ENTRY_TYPES.get(str(data.get("type") or ""))
    gross = data.get("gross_amount_money") or {}
    if kind is None or not gross.get("currency"):
        return None
    currency = str(gross["currency"])
    fee = (data.get("fee_amount_money") or {}).get("amount") or 0
    details = (
        data.get("type_charge_details") or data.get("type_refund_details") or data.get("type_dispute_details")
        or data.get("type_fee_details") or data.get("type_open_dispute_details") or {}
    )  # fmt: skip
    reference = str(details.get("refund_id") or details.get("payment_id") or details.get("dispute_id") or "")
    return SettlementLine(
        gateway_reference=reference,
        type=kind,
        amount=from_provider_minor(int(gross.get("amount") or 0), currency),
        currency=currency,
        # Square reports fees as negative amounts of the entry; a line's fee is the cost.
        fee=abs(from_provider_minor(int(fee), currency)),
        settled_on=date,
    )


def _cvv(value) -> str | None:
    return {"CVV_ACCEPTED": "pass", "CVV_REJECTED": "fail", "CVV_NOT_CHECKED": "unchecked"}.get(
        str(value or "")
    )


def _avs(value) -> str | None:
    return {"AVS_ACCEPTED": "pass", "AVS_REJECTED": "fail", "AVS_NOT_CHECKED": "unchecked"}.get(
        str(value or "")
    )
