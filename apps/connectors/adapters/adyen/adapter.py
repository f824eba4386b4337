"""Adyen: Checkout API payments with raw card data (``scheme``), 3DS2 by redirect
(``RedirectShopper``: the shopper comes back through Clearhouse's gateway return, our signed
reference in the ``returnUrl``, and ``/payments/details`` takes the ``redirectResult`` — or a
3DS2 component's ``threeDSResult``), captures
(partial), cancels and refunds by pspReference, HMAC-signed standard notifications, and the
Settlement details report (CSV) as the settlement report — through the official SDK, whose HTTP
calls go through ``ProviderHTTP`` (``AdyenTransport``).

Built from: Adyen API Explorer, Checkout API v72 (``/payments``, ``/payments/details``,
``/payments/{pspReference}/captures``, ``/cancels``, ``/refunds``), docs.adyen.com "Raw card data",
"3D Secure 2 redirect", "Capture", "Cancel", "Refund", "API idempotency" (``Idempotency-Key``),
"Webhooks: verify HMAC signatures", "Refusal reasons", "Currency codes", "Settlement details
report" and "Get reports automatically" (download URLs), "Live endpoints" (the account's
``live_endpoint_prefix``), and the SDK's source (Adyen 16.0.0: ``AdyenClient``, ``HTTPClient``,
``CheckoutApi``, ``util.is_valid_hmac_notification``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import Adyen
from Adyen import settings as adyen_settings

from apps.connectors import money
from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    Declined,
    InboundEvent,
    OperationNotSupported,
    PaymentRequest,
    Pending,
    SettlementLine,
    not_supported,
)

from .statuses import DECLINE_TABLE, api_error_result, payment_result
from .webhooks import RETURN_DETAILS, parse_notification, parse_return

CHECKOUT_API_VERSION = 72  # the SDK's Checkout API version (Adyen 16.0.0: /v72)
# Where Adyen's minor unit differs from ISO 4217's (docs.adyen.com/development-resources/currency-codes).
ADYEN_EXPONENTS = {"CLP": 2, "CVE": 0, "IDR": 0}
REPORT_HOSTS = {False: "https://ca-test.adyen.com", True: "https://ca-live.adyen.com"}
# Adyen's settlement details "Type" → our line type (MerchantPayout is the bank side: left out).
REPORT_TYPES = {
    "Settled": "capture",
    "SettledExternally": "capture",
    "Refunded": "refund",
    "RefundedExternally": "refund",
    "Chargeback": "dispute",
    "SecondChargeback": "dispute",
    "ChargebackReversed": "dispute",
    "Fee": "fee",
    "MiscCosts": "fee",
}


class AdyenTransport:
    """What the Adyen SDK calls as its HTTP client (``Adyen.httpclient.HTTPClient.request``'s
    signature), sending through the account's ``ProviderHTTP``."""

    def __init__(self, http):
        self._http = http
        self.user_agent = f"clearhouse {adyen_settings.LIB_NAME}/{adyen_settings.LIB_VERSION}"

    def request(self, method, url, json=None, data=None, username="", password="", xapikey="", headers=None):
        headers = dict(headers or {})
        if xapikey:
            headers["X-API-Key"] = xapikey
        headers["User-Agent"] = self.user_agent
        # A write carrying Adyen's Idempotency-Key is replayed, not repeated, by Adyen.
        idempotent = method.upper() == "GET" or bool(headers.get("Idempotency-Key"))
        response = self._http.request(
            method, url, json_body=json, data=data, headers=headers, idempotent=idempotent
        )
        return response.text, json, response.status, response.headers


class AdyenAdapter(ProviderAdapter):
    code = "adyen"
    display_name = "Adyen"
    sdk = f"Adyen=={adyen_settings.LIB_VERSION}"
    api_version = f"Checkout API v{CHECKOUT_API_VERSION}"
    documentation = (
        "Adyen API Explorer: Checkout API v72 (payments, payments/details, captures, cancels, refunds)",
        "docs.adyen.com: raw card data, 3D Secure 2 redirect, API idempotency, verify HMAC signatures, "
        "refusal reasons, currency codes, settlement details report, get reports automatically",
        "Adyen Python API library 16.0.0 source",
    )
    notes = (
        "No lookup of any operation: the Checkout API cannot read a payment or a modification back "
        "(no GET), so an attempt whose /payments call timed out stays unknown until Adyen's "
        "AUTHORISATION notification, found by our merchantReference (routing's failover never moves "
        "it), and a capture, cancel or refund without an answer waits for its CAPTURE / "
        "CANCELLATION / REFUND notification; the re-check janitor escalates what none answers. "
        "Settlement details reports are per batch: the account's config settlement_batch_anchor "
        '("<batch>@<YYYY-MM-DD>") maps a day to its batch, assuming daily batches. Cards only; 3DS '
        "by redirect (the shopper returns through Clearhouse's gateway return with Adyen's "
        "redirectResult, completed by /payments/details); a native threeDS2 action needs Adyen's "
        "3DS2 component on the merchant's page, which posts its threeDSResult to the same return."
    )
    capabilities = {
        "payment_method_types": ["card"],
        "flows": ["direct", "three_d_secure"],
        "card_networks": [
            "amex",
            "cartes_bancaires",
            "diners",
            "discover",
            "jcb",
            "maestro",
            "mastercard",
            "unionpay",
            "visa",
        ],
        "currencies": None,
        "countries": None,
        "min_amount": None,
        "max_amount": None,
        "three_d_secure": True,
        "manual_capture": True,
        "partial_capture": True,
        "voids": True,
        "refunds": True,
        "partial_refunds": True,
        "lookup": False,
        "webhooks": True,
        "settlement_reports": True,
        "payouts": False,
    }
    credential_fields = ("api_key",)
    optional_credential_fields = ("hmac_key",)
    decline_table = DECLINE_TABLE

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        key = credentials.get("hmac_key", "")
        if key:
            try:
                bytes.fromhex(key)
            except ValueError:
                raise ValueError(
                    "credentials[hmac_key] is the hexadecimal HMAC key of the webhook."
                ) from None

    # ------------------------------------------------------------------ the SDK client
    @property
    def merchant_account(self) -> str:
        account = str(self.config.get("merchant_account") or "")
        if not account:
            raise OperationNotSupported(self.code, "calls without config[merchant_account]")
        return account

    @property
    def checkout(self) -> Adyen.AdyenCheckoutApi:
        checkout = getattr(self, "_checkout", None)
        if checkout is None:
            client = Adyen.AdyenClient(
                xapikey=self.credential("api_key"),
                platform="live" if self.livemode else "test",
                live_endpoint_prefix=str(self.config.get("live_endpoint_prefix") or "") or None,
                http_timeout=int(self.timeout()[1]),
                application_name="Clearhouse",
            )
            client.http_client = AdyenTransport(self.http)
            client.http_init = True
            checkout = self._checkout = Adyen.AdyenCheckoutApi(client=client)
        return checkout

    def _amount(self, amount: int, currency: str) -> dict[str, Any]:
        return {
            "value": money.to_provider_minor(amount, currency, exponents=ADYEN_EXPONENTS),
            "currency": currency.upper(),
        }

    @staticmethod
    def _ours(amount: int, currency: str) -> int:
        return money.from_provider_minor(amount, currency, exponents=ADYEN_EXPONENTS)

    def _call(self, fn, request, **kwargs):
        """(response body, None) or (None, our Declined) for an Adyen 4xx."""
        try:
            return fn(request, **kwargs).message, None
        except Adyen.AdyenError as exc:
            status = getattr(exc, "status_code", None) or 400
            body = getattr(exc, "message", None)
            body = body if isinstance(body, Mapping) else {"message": self.http.scrub(str(body or ""))[:300]}
            return None, api_error_result(int(status), body)

    # ------------------------------------------------------------------ payments
    # ------------------------------------------------------------------ the shopper's return
    def return_signature(self, reference: str) -> str:
        """Our signature of the return URL Adyen sends the shopper back to: Adyen's redirectResult
        is opaque, so the URL names the charge, and only a URL we made may complete one."""
        key = self.credential("api_key").encode()
        return hmac.new(key, f"adyen-return:{reference}".encode(), hashlib.sha256).hexdigest()

    def return_url(self, request: PaymentRequest) -> str:
        """Clearhouse's gateway return for this account (``gateway.adapter_config``) with our
        signed reference; the payment's own ``return_url`` when the account has none (direct use)."""
        base = str(self.config.get("return_url") or "")
        reference = request.reference or request.idempotency_key
        if not base:
            return request.return_url or "https://clearhouse.invalid/return"
        query = urlencode({"reference": reference, "signature": self.return_signature(reference)})
        return f"{base}{'&' if '?' in base else '?'}{query}"

    def authorize(self, request: PaymentRequest):
        if request.payment_method_type != "card" or request.card is None:
            return not_supported(self.code, f"{request.payment_method_type} payments")
        card = request.card
        method: dict[str, Any] = {
            "type": "scheme",
            "number": card.number,
            "expiryMonth": f"{int(card.exp_month):02d}",
            "expiryYear": str(card.exp_year),
            "holderName": str((request.billing_details or {}).get("name") or "Card holder")[:100],
        }
        if request.cvc:
            method["cvc"] = request.cvc
        body: dict[str, Any] = {
            "merchantAccount": self.merchant_account,
            "amount": self._amount(request.amount, request.currency),
            "reference": request.reference or request.idempotency_key,
            "paymentMethod": method,
            "returnUrl": self.return_url(request),
            "channel": "Web",
            "shopperInteraction": "ContAuth" if request.off_session else "Ecommerce",
            "metadata": {str(k)[:80]: str(v)[:80] for k, v in list(request.metadata.items())[:20]},
        }
        if request.three_ds == "always":
            body["authenticationData"] = {"attemptAuthentication": "always"}
        if not request.capture:
            body["additionalData"] = {"manualCapture": "true"}
        if request.off_session:
            body["recurringProcessingModel"] = "UnscheduledCardOnFile"
        if request.statement_descriptor:
            body["shopperStatement"] = request.statement_descriptor[:135]
        answer, failed = self._call(
            self.checkout.payments_api.payments, body, idempotency_key=request.idempotency_key
        )
        return failed or payment_result(
            answer, amount=request.amount, reference=request.reference or request.idempotency_key
        )

    def complete_3ds(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        """The shopper is back from the issuer's page with Adyen's ``redirectResult`` (a redirect
        action) or the 3DS2 component's ``threeDSResult`` (a native threeDS2 action): Adyen's
        /payments/details answers the outcome."""
        details = {name: str(payload[name]) for name in RETURN_DETAILS if payload.get(name)}
        if not details and payload.get("event_code") == "AUTHORISATION":
            # Adyen's own (HMAC-verified) AUTHORISATION arrived before the shopper's return
            return self._authorisation_outcome(payload, request)
        if not details:
            return Declined(
                code="payment_intent_authentication_failure", decline_code="authentication_failed",
                network_code="", message="The return from 3D Secure carries no redirectResult or threeDSResult.",
            )  # fmt: skip
        answer, failed = self._call(
            self.checkout.payments_api.payments_details,
            {"details": details},
            idempotency_key=f"{request.idempotency_key}:details",
        )
        if failed:
            return failed
        result = payment_result(answer, amount=request.amount, reference=reference)
        if result.outcome == "requires_action":
            return Pending(
                gateway_reference=result.gateway_reference, message="Adyen still waits for the shopper."
            )
        return result

    @staticmethod
    def _authorisation_outcome(payload: Mapping[str, Any], request: PaymentRequest):
        psp = str(payload.get("psp_reference") or "")
        if payload.get("success") is True:
            return Approved(gateway_reference=psp, amount=request.amount, raw={"source": "notification"})
        return Declined(
            decline_code=str(payload.get("decline_code") or "generic_decline"), network_code="",
            message=f"Adyen refused the payment: {payload.get('reason') or 'Refused'}.", gateway_reference=psp,
        )  # fmt: skip

    # ------------------------------------------------------------------ modifications
    def _modification(self, fn, *, idempotency_key, gateway_reference, body):
        answer, failed = self._call(
            fn, body, paymentPspReference=gateway_reference, idempotency_key=idempotency_key
        )
        return answer, failed

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        answer, failed = self._modification(
            self.checkout.modifications_api.capture_authorised_payment,
            idempotency_key=idempotency_key, gateway_reference=gateway_reference,
            body={"merchantAccount": self.merchant_account, "amount": self._amount(amount, currency),
                  "reference": idempotency_key[:80]},
        )  # fmt: skip
        if failed:
            return failed
        # "received": Adyen accepted the capture; a CAPTURE_FAILED notification would follow.
        return Approved(
            gateway_reference=str(answer["pspReference"]),
            amount=self._ours(int(answer["amount"]["value"]), currency),
            raw={"status": answer.get("status"), "payment": answer.get("paymentPspReference")},
        )

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        answer, failed = self._modification(
            self.checkout.modifications_api.cancel_authorised_payment_by_psp_reference,
            idempotency_key=idempotency_key, gateway_reference=gateway_reference,
            body={"merchantAccount": self.merchant_account, "reference": idempotency_key[:80]},
        )  # fmt: skip
        if failed:
            return failed
        return Approved(gateway_reference=str(answer["pspReference"]), amount=amount,
                        raw={"status": answer.get("status"), "payment": answer.get("paymentPspReference")})  # fmt: skip

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        answer, failed = self._modification(
            self.checkout.modifications_api.refund_captured_payment,
            idempotency_key=idempotency_key, gateway_reference=gateway_reference,
            body={"merchantAccount": self.merchant_account, "amount": self._amount(amount, currency),
                  "reference": idempotency_key[:80]},
        )  # fmt: skip
        if failed:
            return failed
        # Adyen settles refunds asynchronously: the REFUND notification says how it ended.
        return Pending(gateway_reference=str(answer["pspReference"]), message="Adyen received the refund.",
                       raw={"status": answer.get("status"), "payment": answer.get("paymentPspReference")})  # fmt: skip

    # ------------------------------------------------------------------ notifications
    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        """A notification (JSON, HMAC-signed by Adyen), or the shopper's return from 3DS (the query
        string or form of our signed return URL plus Adyen's redirectResult / threeDSResult)."""
        if bytes(body or b"").lstrip()[:1] == b"{":
            return parse_notification(
                body, hmac_key=str(self.credentials.get("hmac_key") or ""), amount_of=self._ours
            )
        return parse_return(body, signature_of=self.return_signature, livemode=self.livemode)

    # ------------------------------------------------------------------ settlement report
    def batch_for(self, date: dt.date) -> int:
        anchor = str(self.config.get("settlement_batch_anchor") or "")
        batch, _, day = anchor.partition("@")
        try:
            return int(batch) + (date - dt.date.fromisoformat(day)).days
        except ValueError:
            raise OperationNotSupported(
                self.code, "settlement reports without config[settlement_batch_anchor]"
            ) from None

    def fetch_settlement_report(self, *, date: dt.date) -> list[SettlementLine]:
        batch = self.batch_for(date)
        url = (f"{REPORT_HOSTS[self.livemode]}/reports/download/MerchantAccount/{self.merchant_account}/"
               f"settlement_detail_report_batch_{batch}.csv")  # fmt: skip
        response = self.http.request("GET", url, headers={"X-API-Key": self.credential("api_key")})
        if response.status == 404:
            return []  # the batch is not closed yet
        if not response.ok:
            raise OperationNotSupported(self.code, f"settlement report download (HTTP {response.status})")
        return parse_settlement_details(response.text, ours=self._ours)

    def health(self):
        def probe():
            host = (
                "https://management-live.adyen.com" if self.livemode else "https://management-test.adyen.com"
            )
            answer = self.http.request(
                "GET", f"{host}/v3/me", headers={"X-API-Key": self.credential("api_key")}
            )
            if not answer.ok:
                raise OperationNotSupported(self.code, f"health (HTTP {answer.status})")
            return str(answer.json().get("id", ""))[:40]

        return self.timed_health(probe)


def _dec(value: str) -> Decimal:
    try:
        return Decimal((value or "0").strip() or "0")
    except InvalidOperation:
        raise ValueError(f"Not an amount: {value!r}") from None


def parse_settlement_details(text: str, *, ours) -> list[SettlementLine]:
    """Rows of Adyen's Settlement details report as settlement lines: gross = Gross Credit minus Gross
    Debit in the gross currency, fee = Commission + Markup + Scheme Fees + Interchange in the net
    currency (all decimal major units, read as text); a refund's line names the refund's
    Modification Reference, as /refunds answered it."""
    lines = []
    for row in csv.DictReader(io.StringIO(text)):
        kind = REPORT_TYPES.get((row.get("Type") or "").strip())
        if kind is None:
            continue
        currency = (row.get("Gross Currency") or row.get("Net Currency") or "").strip().upper()
        net_currency = (row.get("Net Currency") or currency).strip().upper()
        gross = _dec(row.get("Gross Credit (GC)", "")) - _dec(row.get("Gross Debit (GC)", ""))
        fee = sum((_dec(row.get(c, "")) for c in ("Commission (NC)", "Markup (NC)", "Scheme Fees (NC)",
                                                    "Interchange (NC)")), Decimal(0))  # fmt: skip
        if kind == "fee":
            gross = _dec(row.get("Net Credit (NC)", "")) - _dec(row.get("Net Debit (NC)", ""))
            currency = net_currency
        reference = (row.get("Psp Reference") or "").strip()
        if kind == "refund" and (row.get("Modification Reference") or "").strip():
            reference = row["Modification Reference"].strip()
        created = (row.get("Creation Date") or "").strip()
        lines.append(
            SettlementLine(
                gateway_reference=reference,
                type=kind,
                amount=money.from_major(gross, currency),
                currency=currency,
                fee=money.from_major(fee, net_currency),
                settled_on=dt.datetime.strptime(created, "%Y-%m-%d %H:%M:%S").date(),
                reference=(row.get("Merchant Reference") or "").strip(),
            )
        )
    return lines
