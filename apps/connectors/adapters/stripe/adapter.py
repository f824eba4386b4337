"""Stripe: PaymentIntents (card, manual or automatic capture, 3DS by ``next_action.redirect_to_url``),
captures (partial), cancels, refunds (partial, cancel of a pending refund), lookup by our key,
signed webhooks and balance transactions as the settlement report — through the official SDK,
with the API version pinned on every request so an account's default version changes nothing.

Built from: the Stripe API reference (PaymentIntents create/retrieve/capture/cancel/search/list,
Refunds create/cancel, Balance transactions list, Balance retrieve, Errors, Idempotent requests,
Versioning), docs.stripe.com/webhooks (Stripe-Signature ``t=…,v1=…``: HMAC-SHA256 of
``"{t}.{body}"`` with the endpoint secret, 300 s tolerance), docs.stripe.com/declines/codes,
docs.stripe.com/currencies (zero-decimal and special-case currencies), and the SDK's source
(stripe-python 16.1.0: ``StripeClient``, ``HTTPClient``, ``WebhookSignature``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import stripe

from apps.connectors import money
from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    Declined,
    InboundEvent,
    PaymentRequest,
    Pending,
    SettlementLine,
    lookup_not_supported,
)
from apps.connectors.http import ProviderHTTPError

from .statuses import DECLINE_TABLE, error_result, intent_result
from .transport import StripeTransport
from .webhooks import parse_event

# The API version this adapter was written for (the SDK's own pin; a test keeps them equal).
STRIPE_API_VERSION = "2026-10-28.endive"
# Where Stripe's minor unit differs from ISO 4217's (docs.stripe.com/currencies): ISK is sent
# with two decimals (a multiple of 100), MGA with none.
STRIPE_EXPONENTS = {"ISK": 2, "MGA": 0}
# Three-decimal currencies Stripe accepts only in multiples of 10 minor units (same page).
THREE_DECIMAL = ("BHD", "JOD", "KWD", "OMR", "TND")
METADATA_KEY = "clearhouse_idempotency_key"
REFERENCE_KEY = "clearhouse_reference"

BALANCE_TYPES = {
    "charge": "capture",
    "payment": "capture",
    "refund": "refund",
    "payment_refund": "refund",
    "refund_failure": "refund",
    "adjustment": "dispute",
    "stripe_fee": "fee",
}


class StripeAdapter(ProviderAdapter):
    code = "stripe"
    display_name = "Stripe"
    sdk = f"stripe=={stripe.VERSION}"
    api_version = STRIPE_API_VERSION
    documentation = (
        "Stripe API reference: PaymentIntents, Refunds, Balance transactions, Errors, Idempotent requests",
        "docs.stripe.com/webhooks (signatures)",
        "docs.stripe.com/declines/codes",
        "docs.stripe.com/currencies",
        "stripe-python 16.1.0 source",
    )
    notes = (
        "Cards only (server-side card data, for a PCI-DSS level 1 platform); other Stripe payment "
        "methods and Stripe's own payouts are not modelled. Lookup by our key uses PaymentIntent "
        "search (eventually consistent) and the last 100 PaymentIntents (consistent)."
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
        "lookup": True,
        "lookup_capture": True,
        "lookup_void": True,
        "lookup_refund": True,
        "webhooks": True,
        "settlement_reports": True,
        "payouts": False,
    }
    credential_fields = ("secret_key",)
    optional_credential_fields = ("webhook_secret",)
    decline_table = DECLINE_TABLE
    test_base_url = live_base_url = "https://api.stripe.com"

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        key = credentials.get("secret_key", "")
        prefixes = ("sk_live_", "rk_live_") if livemode else ("sk_test_", "rk_test_")
        if key and not key.startswith(prefixes):
            mode = "live" if livemode else "test"
            raise ValueError(
                f"A {mode}-mode Stripe account needs a {mode} secret key ({prefixes[0]}… or {prefixes[1]}…)."
            )
        secret = credentials.get("webhook_secret", "")
        if secret and not secret.startswith("whsec_"):
            raise ValueError("credentials[webhook_secret] is the endpoint's signing secret (whsec_…).")

    # ------------------------------------------------------------------ the SDK client
    @property
    def client(self) -> stripe.StripeClient:
        client = getattr(self, "_client", None)
        if client is None:
            client = stripe.StripeClient(
                self.credential("secret_key"),
                stripe_version=STRIPE_API_VERSION,
                http_client=StripeTransport(self.http),
                max_network_retries=0,  # ProviderHTTP retries, and only idempotent calls
            )
            self._client = client
        return client

    @staticmethod
    def _options(idempotency_key: str | None = None) -> dict[str, Any]:
        options: dict[str, Any] = {"stripe_version": STRIPE_API_VERSION}
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        return options

    def _amount(self, amount: int, currency: str) -> int:
        if currency.upper() in THREE_DECIMAL and amount % 10:
            raise money.AmountPrecisionError(
                f"Stripe takes {currency.upper()} amounts in multiples of 10 (0.010)."
            )
        return money.to_provider_minor(amount, currency, exponents=STRIPE_EXPONENTS)

    @staticmethod
    def _ours(amount: int, currency: str) -> int:
        return money.from_provider_minor(amount, currency, exponents=STRIPE_EXPONENTS)

    def _call(self, fn, *args, **kwargs):
        """An SDK call; a Stripe error becomes its result (``statuses.error_result``)."""
        try:
            answer = fn(*args, **kwargs)
        except stripe.StripeError as exc:
            result = error_result(exc)
            if isinstance(result, Declined):
                result = Declined(**{**result.__dict__, "message": self.http.scrub(result.message)})
            return None, result
        # Plain dicts from here on: the SDK's objects are not mappings (stripe-python 8+).
        return (answer.to_dict() if hasattr(answer, "to_dict") else answer), None

    # ------------------------------------------------------------------ payments
    def _intent_params(self, request: PaymentRequest) -> dict[str, Any]:
        card = request.card
        card_data: dict[str, Any] = {
            "number": card.number,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        }
        if request.cvc:
            card_data["cvc"] = request.cvc
        params: dict[str, Any] = {
            "amount": self._amount(request.amount, request.currency),
            "currency": request.currency.lower(),
            "payment_method_types": ["card"],
            "payment_method_data": {"type": "card", "card": card_data},
            "confirm": True,
            "capture_method": "automatic" if request.capture else "manual",
            "payment_method_options": {
                "card": {"request_three_d_secure": "any" if request.three_ds == "always" else "automatic"}
            },
            "metadata": {
                **{str(k)[:40]: str(v)[:500] for k, v in list(request.metadata.items())[:45]},
                METADATA_KEY: request.idempotency_key,
                REFERENCE_KEY: request.reference,
            },
            "expand": ["latest_charge"],
        }
        billing = request.billing_details or {}
        if billing:
            params["payment_method_data"]["billing_details"] = {
                k: v for k, v in billing.items() if k in ("name", "email", "phone", "address") and v
            }
        if request.off_session:
            params["off_session"] = True
        elif request.return_url:
            params["return_url"] = request.return_url
        if request.description:
            params["description"] = request.description[:1000]
        if request.statement_descriptor:
            params["statement_descriptor_suffix"] = request.statement_descriptor[:22]
        return params

    def authorize(self, request: PaymentRequest):
        if request.payment_method_type != "card" or request.card is None:
            from apps.connectors.base import not_supported

            return not_supported(self.code, f"{request.payment_method_type} payments")
        intent, failed = self._call(
            self.client.v1.payment_intents.create,
            params=self._intent_params(request),
            options=self._options(request.idempotency_key),
        )
        return failed or intent_result(intent, amount_of=self._ours)

    def complete_3ds(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        """The customer came back from Stripe's 3DS page: the PaymentIntent says how it went."""
        intent, failed = self._call(
            self.client.v1.payment_intents.retrieve,
            reference,
            params={"expand": ["latest_charge"]},
            options=self._options(),
        )
        if failed:
            return failed
        result = intent_result(intent, amount_of=self._ours)
        if result.outcome == "requires_action":
            return Pending(gateway_reference=reference, message="The customer has not finished 3D Secure.")
        return result

    # ------------------------------------------------------------------ follow-ups
    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        intent, failed = self._call(
            self.client.v1.payment_intents.capture,
            gateway_reference,
            params={"amount_to_capture": self._amount(amount, currency), "expand": ["latest_charge"]},
            options=self._options(idempotency_key),
        )
        if failed:
            return failed
        result = intent_result(intent, amount_of=self._ours)
        if isinstance(result, Approved):
            return Approved(
                gateway_reference=intent["id"],
                amount=self._ours(int(intent["amount_received"]), currency),
                raw={"status": intent["status"], "charge": result.raw.get("charge", "")},
            )
        return result

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        if gateway_reference.startswith("re_"):
            return self._cancel_refund(
                idempotency_key=idempotency_key, refund_id=gateway_reference, amount=amount
            )
        intent, failed = self._call(
            self.client.v1.payment_intents.cancel,
            gateway_reference,
            params={"cancellation_reason": "requested_by_customer"},
            options=self._options(idempotency_key),
        )
        if failed:
            return failed
        if intent["status"] != "canceled":
            return Declined(
                code="void_failed", decline_code="void_failed", network_code="",
                message=f"The PaymentIntent is {intent['status']}.", gateway_reference=intent["id"],
            )  # fmt: skip
        return Approved(gateway_reference=intent["id"], amount=amount, raw={"status": "canceled"})

    def _cancel_refund(self, *, idempotency_key, refund_id, amount):
        refund, failed = self._call(
            self.client.v1.refunds.cancel, refund_id, options=self._options(idempotency_key)
        )
        if failed:
            return failed
        return Approved(gateway_reference=refund["id"], amount=amount, raw={"status": refund["status"]})

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        refund, failed = self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": gateway_reference,
                "amount": self._amount(amount, currency),
                "metadata": {
                    METADATA_KEY: idempotency_key,
                    **{str(k)[:40]: str(v)[:500] for k, v in (metadata or {}).items()},
                },
            },
            options=self._options(idempotency_key),
        )
        if failed:
            return failed
        return refund_result(refund, amount_of=self._ours)

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        """An authorization: the PaymentIntent created with our key. A capture or void: the
        PaymentIntent ``reference`` as it now stands (captured / canceled / still held). A refund:
        the refund of PaymentIntent ``reference`` carrying our key in its metadata."""
        if operation == "authorize":
            return self._lookup_intent(idempotency_key)
        if not reference:
            return lookup_not_supported(self.code, f"{operation} of an unknown PaymentIntent")
        if operation == "refund":
            return self._lookup_refund(idempotency_key, reference)
        intent, failed = self._call(
            self.client.v1.payment_intents.retrieve, reference, params={"expand": ["latest_charge"]},
            options=self._options(),
        )  # fmt: skip
        if failed:
            return failed if failed.outcome == "error" else _lookup_failed(failed)
        return _follow_up_state(operation, intent, amount_of=self._ours)

    def _lookup_refund(self, idempotency_key: str, payment_intent: str):
        refunds, failed = self._call(
            self.client.v1.refunds.list, params={"payment_intent": payment_intent, "limit": 100},
            options=self._options(),
        )  # fmt: skip
        if failed:
            return failed if failed.outcome == "error" else _lookup_failed(failed)
        mine = next(
            (r for r in refunds["data"] if (r.get("metadata") or {}).get(METADATA_KEY) == idempotency_key),
            None,
        )
        return None if mine is None else refund_result(mine, amount_of=self._ours)

    def _lookup_intent(self, idempotency_key: str):
        """The PaymentIntent created with our key: PaymentIntent search on the metadata we set,
        then (search lags up to a minute) the last 100 PaymentIntents, which list consistently."""
        found, failed = self._call(
            self.client.v1.payment_intents.search,
            params={"query": f"metadata['{METADATA_KEY}']:'{_quote(idempotency_key)}'", "limit": 1,
                    "expand": ["data.latest_charge"]},
            options=self._options(),
        )  # fmt: skip
        if failed:
            return failed if failed.outcome == "error" else _lookup_failed(failed)
        match = next(iter(found["data"]), None)
        if match is None:
            recent, failed = self._call(
                self.client.v1.payment_intents.list,
                params={"limit": 100, "expand": ["data.latest_charge"]},
                options=self._options(),
            )
            if failed:
                return failed if failed.outcome == "error" else _lookup_failed(failed)
            match = next(
                (pi for pi in recent["data"] if (pi["metadata"] or {}).get(METADATA_KEY) == idempotency_key),
                None,
            )
        if match is None:
            return None
        result = intent_result(match, amount_of=self._ours)
        if result.outcome == "requires_action":
            return Pending(gateway_reference=match["id"], message="Awaiting the customer's 3D Secure step.")
        return result

    # ------------------------------------------------------------------ webhooks
    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        return parse_event(
            body,
            headers=self.lower_headers(headers),
            secret=str(self.credentials.get("webhook_secret") or ""),
            amount_of=self._ours,
        )

    # ------------------------------------------------------------------ reports / health
    def fetch_settlement_report(self, *, date: dt.date) -> list[SettlementLine]:
        """The balance transactions created on ``date`` (UTC), charges and refunds named by their
        PaymentIntent (``source`` expanded), payouts left out (they are the bank side)."""
        start = int(dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC).timestamp())
        params: dict[str, Any] = {
            "created": {"gte": start, "lt": start + 86400},
            "limit": 100,
            "expand": ["data.source"],
        }
        lines: list[SettlementLine] = []
        while True:
            page, failed = self._call(
                self.client.v1.balance_transactions.list, params=params, options=self._options()
            )
            if failed:  # Stripe refused the listing (a revoked key, a restricted one): not a 500
                raise ProviderHTTPError(f"Stripe refused the balance transactions listing: {failed.message}",
                                        code=getattr(failed, "code", "") or "report_refused", outcome_unknown=False)  # fmt: skip
            for txn in page["data"]:
                kind = BALANCE_TYPES.get(txn["type"])
                if kind is None:
                    continue
                currency = str(txn["currency"]).upper()
                source = txn["source"]
                reference = (
                    source if isinstance(source, str) else (source.get("payment_intent") or source.get("id"))
                )
                ours = ""
                if not isinstance(source, str):
                    ours = str((source.get("metadata") or {}).get(REFERENCE_KEY, ""))
                lines.append(
                    SettlementLine(
                        gateway_reference=str(reference or ""),
                        type=kind,
                        amount=self._ours(int(txn["amount"]), currency),
                        currency=currency,
                        fee=self._ours(int(txn["fee"]), currency),
                        settled_on=dt.datetime.fromtimestamp(int(txn["created"]), tz=dt.UTC).date(),
                        reference=ours,
                    )
                )
            if not page["has_more"] or not page["data"]:
                return lines
            params = {**params, "starting_after": page["data"][-1]["id"]}

    def health(self):
        def probe():
            balance, failed = self._call(self.client.v1.balance.retrieve, options=self._options())
            if failed:
                raise _ReportFailed(failed.code)
            return "live" if balance["livemode"] else "test"

        return self.timed_health(probe)


class _ReportFailed(Exception):
    pass


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _lookup_failed(declined) -> Any:
    from apps.connectors.base import RetryableError

    # Stripe refused the search itself (e.g. a restricted key): we cannot tell, so unknown.
    return RetryableError(code="provider_error", message=declined.message[:300], outcome_unknown=True)


def _follow_up_state(operation: str, intent, *, amount_of):
    """What a PaymentIntent's status says of a capture or void sent on it: done (Approved), never
    done and still possible (None: a re-send under our key is safe), or no longer possible."""
    status, pi = intent["status"], intent["id"]
    currency = str(intent.get("currency") or "")
    if status == "requires_capture":
        return None
    if operation == "capture" and status == "succeeded":
        return Approved(gateway_reference=pi, amount=amount_of(int(intent["amount_received"]), currency),
                        raw={"status": status})  # fmt: skip
    if operation == "void" and status == "canceled":
        return Approved(gateway_reference=pi, raw={"status": status})
    if status in ("succeeded", "canceled"):
        return Declined(
            code=f"{operation}_failed", decline_code=f"payment_intent_{status}", network_code="",
            message=f"The PaymentIntent is {status}: no {operation} was made.", gateway_reference=pi,
        )  # fmt: skip
    return Pending(gateway_reference=pi, message=f"The PaymentIntent is {status}.")


def refund_result(refund, *, amount_of):
    currency = str(refund["currency"])
    status = refund["status"]
    if status == "succeeded":
        return Approved(gateway_reference=refund["id"], amount=amount_of(int(refund["amount"]), currency),
                        raw={"status": status})  # fmt: skip
    if status in ("pending", "requires_action"):
        return Pending(gateway_reference=refund["id"], message=f"The refund is {status} at Stripe.")
    reason = str(refund.get("failure_reason") or status)
    return Declined(
        code="refund_failed", decline_code=reason, network_code="",
        message=f"Stripe could not refund: {reason}.", gateway_reference=refund["id"],
    )  # fmt: skip
