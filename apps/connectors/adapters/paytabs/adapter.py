"""PayTabs (Gulf, Egypt, Jordan, Iraq…), PT2 API, through PayTabs' Hosted Payment Page.

Built from PayTabs' PT2 API documentation (docs.paytabs.com "PT2 API Endpoints": Hosted Payment
Page, Query Transaction, Follow-up requests, Callback/IPN; support.paytabs.com "What is response
code vs the response status?", "What is my (Region)/(endpoint URL)?") and PayTabs' own SDKs, which
show the bodies, the answers and both signatures (github.com/paytabscom/php-sdk: its
``Samples/ResultCallback.php`` IPN, ``Response/Payloads/Failure.php`` error bodies, the
``payment/query`` request by ``tran_ref`` or ``cart_id``; github.com/paytabscom/PHP-sample-code
``is_valid_redirect``):

* ``POST /payment/request`` with header ``authorization: <server_key>`` and JSON ``profile_id``,
  ``tran_type`` (``sale`` | ``auth``), ``tran_class: ecom``, ``cart_id`` (our idempotency key,
  at most 64 characters), ``cart_currency``, ``cart_amount`` (decimal major units),
  ``cart_description``, ``callback`` (the IPN URL), ``return`` (the customer's return) →
  ``tran_ref`` and ``redirect_url`` (the hosted page; 3DS runs there), or an error
  ``{"code", "message", "trace"}`` (401 authentication, 400 validation, 409 code 4 duplicate);
* follow-ups on the same endpoint: ``tran_type`` ``capture`` / ``void`` (of an auth) and
  ``refund`` (of a sale or capture, partial allowed) with ``tran_ref`` of the original → the new
  transaction's ``tran_ref`` and ``payment_result {response_status, response_code,
  response_message}``;
* ``POST /payment/query`` ``{profile_id, tran_ref}`` → the transaction; ``{profile_id, cart_id}``
  → the transactions of that cart (a list);
* the IPN: the transaction as JSON, signed in the ``signature`` header; the customer's return:
  a signed form POST (``signatures.py``). Both are verified and then the outcome is read back with
  ``payment/query`` before anything is recorded (``confirm_redirect``).

Hosts by ``config["region"]`` (``REGIONS``; ``ARE`` by default). PayTabs has no separate test
host: a profile is a test or a live one (test transactions' ``tran_ref`` begin with ``TST``), so
a live-mode account refuses ``TST`` transactions and a test-mode one refuses live ones. Not
covered: direct card or token charges (the hosted page only, so no lookup-free direct flow),
settlement reports (PT2's Reports API, ``/report/{profile}/list`` and ``/get/{id}``, serves only
transaction reports configured in the dashboard: Excel, merchant-chosen columns, no payouts or fees
in a fixed layout), disputes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
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
    lookup_not_supported,
)
from apps.connectors.http import ProviderHTTPError
from apps.connectors.money import AmountPrecisionError

from . import signatures, statuses

# docs.paytabs.com "What is my (Region)/(endpoint URL)?"
REGIONS = {
    "ARE": "https://secure.paytabs.com",
    "SAU": "https://secure.paytabs.sa",
    "EGY": "https://secure-egypt.paytabs.com",
    "OMN": "https://secure-oman.paytabs.com",
    "JOR": "https://secure-jordan.paytabs.com",
    "KWT": "https://secure-kuwait.paytabs.com",
    "IRQ": "https://secure-iraq.paytabs.com",
    "MAR": "https://secure-morocco.paytabs.com",
    "QAT": "https://secure-doha.paytabs.com",
    "GLOBAL": "https://secure-global.paytabs.com",
}
CURRENCIES = ["AED", "SAR", "EGP", "OMR", "JOD", "KWD", "BHD", "QAR", "IQD", "MAD", "USD", "EUR", "GBP"]
_AMOUNT_MARK = "__paytabs_amount__"


class PayTabsAdapter(ProviderAdapter):
    code = "paytabs"
    display_name = "PayTabs"
    sdk = ""
    api_version = "PT2 API (payment/request, payment/query)"
    documentation = (
        "PayTabs PT2 API (docs.paytabs.com: Hosted Payment Page, Query Transaction, Follow-ups, IPN)",
        "github.com/paytabscom/php-sdk and paytabscom/PHP-sample-code (bodies, IPN, return signature)",
    )
    notes = (
        "Hosted Payment Page only (the customer pays by card, mada, Apple Pay… on PayTabs' page; 3DS "
        "runs there). The IPN and the customer's return are HMAC-verified with the server key and the "
        "outcome is read back with payment/query. Region host from config['region']; a profile is "
        "test or live (TST references). No settlement report: PT2's Reports API serves only "
        "dashboard-configured transaction reports (Excel), no payouts or fees in a fixed layout."
    )
    supported_payment_method_types = ("paytabs",)
    capabilities = {
        "payment_method_types": ["paytabs"],
        "card_networks": None,
        "currencies": CURRENCIES,
        "countries": ["AE", "SA", "EG", "OM", "JO", "KW", "BH", "QA", "IQ", "MA"],
        "flows": ["redirect"],
        "min_amount": None,
        "max_amount": None,
        "three_d_secure": False,  # 3DS happens inside the hosted page, not as our own step
        "manual_capture": True,
        # PT2 captures part of an auth, but an auth is only reached through the hosted page: the
        # conformance scenario needs a direct authorization, so this stays off until it is proved.
        "partial_capture": False,
        "voids": True,
        "refunds": True,
        "partial_refunds": True,
        "lookup": True,
        "webhooks": True,
        "settlement_reports": False,
        "payouts": False,
    }
    credential_fields = ("profile_id", "server_key")
    decline_table = statuses.DECLINE_TABLE

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        profile = str(credentials.get("profile_id", ""))
        if profile and not profile.isdigit():
            raise ValueError("credentials[profile_id] is PayTabs' numeric profile id.")

    def base_url(self) -> str:
        region = str(self.config.get("region") or "ARE").upper()
        return REGIONS.get(region, REGIONS["ARE"])

    # ------------------------------------------------------------------ the calls
    def _profile(self) -> int | str:
        profile = self.credential("profile_id")
        return int(profile) if profile.isdigit() else profile

    def _post(self, path: str, body: dict[str, Any], *, idempotent: bool = False):
        """JSON with ``cart_amount`` written as a decimal literal (never through a float)."""
        amount = body.pop("cart_amount", None)
        if amount is not None:
            body["cart_amount"] = _AMOUNT_MARK
        text = json.dumps(body)
        if amount is not None:
            text = text.replace(f'"{_AMOUNT_MARK}"', format(Decimal(amount), "f"))
        return self.http.request(
            "POST",
            path,
            data=text.encode(),
            headers={"authorization": self.credential("server_key"), "Content-Type": "application/json"},
            idempotent=idempotent,
        )

    def _query(self, **key: str) -> tuple[int, Any]:
        response = self._post("/payment/query", {"profile_id": self._profile(), **key}, idempotent=True)
        try:
            return response.status, response.json()
        except ValueError:
            return response.status, {}

    def _amount(self, amount: int, currency: str) -> Decimal:
        return self.money.to_major(amount, currency)

    # ------------------------------------------------------------------ payments
    def authorize(self, request: PaymentRequest):
        return self.start_redirect(request)

    def start_redirect(self, request: PaymentRequest):
        currency = request.currency.upper()
        try:
            amount = self._amount(request.amount, currency)
        except AmountPrecisionError as exc:
            return _declined("invalid_amount", str(exc))
        body = {
            "profile_id": self._profile(),
            "tran_type": "sale" if request.capture else "auth",
            "tran_class": "ecom",
            "cart_id": request.idempotency_key[:64],
            "cart_currency": currency,
            "cart_amount": amount,
            "cart_description": (request.description or request.reference or "Order")[:128],
            "callback": self.config.get("callback_url", ""),
            "return": self.config.get("return_url") or request.return_url,
            "hide_shipping": True,
        }
        response = self._post("/payment/request", body)
        answer = _json(response)
        tran_ref = str(answer.get("tran_ref") or "")
        redirect_url = str(answer.get("redirect_url") or "")
        if response.ok and tran_ref and redirect_url:
            return RequiresAction(
                kind="redirect_to_url", reference=tran_ref, url=redirect_url, gateway_reference=tran_ref,
                raw={"trace": answer.get("trace")},
            )  # fmt: skip
        if response.ok and tran_ref and answer.get("payment_result"):
            return self._result(answer, tran_ref, amount=request.amount, currency=currency)
        return _declined(
            "paytabs_request_refused",
            f"PayTabs refused the payment page: {_error_text(answer, response.status)}",
            raw=answer,
        )

    def confirm_redirect(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        """Whatever the customer's browser or the IPN said, PayTabs' own record decides."""
        status, answer = self._query(tran_ref=reference)
        if status != 200 or not isinstance(answer, dict) or str(answer.get("tran_ref") or "") != reference:
            if status >= 400:
                return _declined(
                    "processing_error", f"PayTabs could not find the transaction: {_error_text(answer, status)}",
                    gateway_reference=reference,
                )  # fmt: skip
            return Pending(gateway_reference=reference, message="PayTabs has no result yet.")
        return self._result(answer, reference, amount=request.amount, currency=request.currency.upper())

    def _result(self, answer: Mapping[str, Any], reference: str, *, amount: int, currency: str):
        mode_error = self._mode_error(reference)
        if mode_error:
            return _declined("processing_error", mode_error, gateway_reference=reference)
        result = answer.get("payment_result") or {}
        status = str(result.get("response_status") or "").upper()
        message = str(result.get("response_message") or "")
        if status == "A":
            paid = answer.get("tran_total", answer.get("cart_amount"))
            paid_currency = str(answer.get("tran_currency") or answer.get("cart_currency") or currency)
            if paid is not None and (
                paid_currency.upper() != currency or self.money.from_major(str(paid), currency) != amount
            ):
                return _declined(
                    "amount_mismatch", f"PayTabs reports {paid} {paid_currency} for this transaction.",
                    gateway_reference=reference,
                )  # fmt: skip
            return Approved(
                gateway_reference=reference, network_code=str(result.get("response_code") or ""),
                amount=amount, raw=_public(answer),
            )  # fmt: skip
        if status in ("H", "P", ""):
            why = "held for PayTabs' fraud review" if status == "H" else "not final yet"
            return Pending(gateway_reference=reference, message=f"PayTabs: the payment is {why}.")
        code = statuses.decline_code(status, str(result.get("response_code") or ""), message)
        return Declined(
            code="card_declined", decline_code=code, network_code=str(result.get("response_code") or "")[:20],
            message=f"PayTabs: {message or status}"[:500], gateway_reference=reference, raw=_public(answer),
        )  # fmt: skip

    def _mode_error(self, tran_ref: str) -> str:
        test = tran_ref.upper().startswith("TST")
        if self.livemode and test:
            return "A test transaction of PayTabs on a live-mode account."
        if not self.livemode and tran_ref and not test:
            return "A live PayTabs transaction on a test-mode account."
        return ""

    # ------------------------------------------------------------------ follow-ups
    def _follow_up(self, tran_type, *, idempotency_key, gateway_reference, amount, currency, refused):
        currency = currency.upper()
        try:
            major = self._amount(amount, currency)
        except AmountPrecisionError as exc:
            return _declined("invalid_amount", str(exc))
        body = {
            "profile_id": self._profile(),
            "tran_type": tran_type,
            "tran_class": "ecom",
            "cart_id": idempotency_key[:64],
            "cart_currency": currency,
            "cart_amount": major,
            "cart_description": f"{tran_type} of {gateway_reference}"[:128],
            "tran_ref": gateway_reference,
        }
        # PayTabs refuses a second request with the same cart_id (409, code 4): a repeat cannot
        # move money twice, so the write is safe to retry.
        response = self._post("/payment/request", body, idempotent=True)
        answer = _json(response)
        if response.status == 409 and str(answer.get("code")) == "4":
            found = self._by_cart_id(idempotency_key)
            if found is not None:
                return found
        result = answer.get("payment_result") or {}
        status = str(result.get("response_status") or "").upper()
        new_ref = str(answer.get("tran_ref") or "")
        if response.ok and status == "A" and new_ref:
            return Approved(gateway_reference=new_ref, network_code=str(result.get("response_code") or ""),
                            amount=amount, raw=_public(answer))  # fmt: skip
        if response.ok and status in ("P", "H") and new_ref:
            return Pending(gateway_reference=new_ref, message=f"PayTabs: the {tran_type} is pending.")
        message = str(result.get("response_message") or _error_text(answer, response.status))
        return Declined(
            code=f"{tran_type}_failed" if tran_type == "refund" else "processing_error",
            decline_code=refused, network_code=str(result.get("response_code") or answer.get("code") or "")[:20],
            message=f"PayTabs refused the {tran_type}: {message}"[:500], gateway_reference=gateway_reference,
            raw=answer,
        )  # fmt: skip

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return self._follow_up("capture", idempotency_key=idempotency_key, gateway_reference=gateway_reference,
                               amount=amount, currency=currency, refused="capture_refused")  # fmt: skip

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return self._follow_up("void", idempotency_key=idempotency_key, gateway_reference=gateway_reference,
                               amount=amount, currency=currency, refused="void_refused")  # fmt: skip

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return self._follow_up("refund", idempotency_key=idempotency_key, gateway_reference=gateway_reference,
                               amount=amount, currency=currency, refused="refund_refused")  # fmt: skip

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        """The authorization PayTabs holds for our cart id (our idempotency key), None when it has
        none. The follow-ups carry our key as their cart id too, but are not declared
        (lookup_capture/void/refund False) until PayTabs' query answers for them are recorded;
        the 409 replay of ``_follow_up`` reads its own by cart id."""
        if operation != "authorize":
            return lookup_not_supported(self.code, operation)
        return self._by_cart_id(idempotency_key)

    def _by_cart_id(self, idempotency_key: str):
        """The transaction PayTabs holds for a cart id. Only an explicit empty answer is "never
        received": any error stays unknown."""
        status, answer = self._query(cart_id=idempotency_key[:64])
        transactions = answer if isinstance(answer, list) else (answer or {}).get("transactions")
        if status == 200 and isinstance(answer, dict) and answer.get("tran_ref"):
            transactions = [answer]
        if status != 200 or not isinstance(transactions, list):
            raise ProviderHTTPError(
                f"PayTabs could not be asked for cart {idempotency_key}: {_error_text(answer, status)}",
                code="provider_error", outcome_unknown=True, http_status=status,
            )  # fmt: skip
        if not transactions:
            return None
        latest = transactions[-1]
        tran_ref = str(latest.get("tran_ref") or "")
        currency = str(latest.get("cart_currency") or "")
        amount = self.money.from_major(str(latest.get("cart_amount")), currency)
        return self._result(latest, tran_ref, amount=amount, currency=currency.upper())

    # ------------------------------------------------------------------ IPN and the return
    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        key = self.credential("server_key")
        raw = bytes(body or b"")
        if raw.lstrip()[:1] == b"{":
            given = self.lower_headers(headers).get("signature", "")
            if not given:
                raise InboundWebhookError(
                    "The PayTabs callback carries no signature.", code="signature_missing"
                )
            if not signatures.valid(signatures.sign_body(raw, key), given):
                raise InboundWebhookError(
                    "The PayTabs callback signature does not match.", code="signature_invalid"
                )
            try:
                answer = json.loads(raw)
            except ValueError:
                raise InboundWebhookError(
                    "The PayTabs callback is not JSON.", code="invalid_payload"
                ) from None
            return self._event_of_ipn(answer)
        fields = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        if not fields.get("signature"):
            raise InboundWebhookError("The PayTabs return carries no signature.", code="signature_missing")
        if not signatures.valid(signatures.sign_return(fields, key), fields["signature"]):
            raise InboundWebhookError(
                "The PayTabs return signature does not match.", code="signature_invalid"
            )
        return self._event_of_return(fields)

    def _event_of_ipn(self, answer: Mapping[str, Any]) -> InboundEvent:
        tran_ref = str(answer.get("tran_ref") or "")
        result = answer.get("payment_result") or {}
        status = str(result.get("response_status") or "").upper()
        tran_type = str(answer.get("tran_type") or "").lower()
        if not tran_ref or not status:
            raise InboundWebhookError(
                "The PayTabs callback names no transaction result.", code="invalid_payload"
            )
        event_type = _event_type(tran_type, status)
        currency = str(answer.get("tran_currency") or answer.get("cart_currency") or "").upper()
        total = answer.get("tran_total", answer.get("cart_amount"))
        message = str(result.get("response_message") or "")
        code = str(result.get("response_code") or "")
        return InboundEvent(
            provider_event_id=f"{tran_ref}:{status}",
            type=event_type,
            gateway_reference=str(answer.get("previous_tran_ref") or tran_ref)
            if tran_type == "capture"
            else tran_ref,
            occurred_at=_datetime(result.get("transaction_time")) or dt.datetime.now(tz=dt.UTC),
            livemode=self.livemode,
            amount=self.money.from_major(str(total), currency) if total is not None and currency else None,
            currency=currency.lower(),
            data={
                "status": status,
                "cart_id": str(answer.get("cart_id") or ""),
                "decline_code": statuses.decline_code(status, code, message) if status in "DEX" else "",
                "network_code": code[:20],
                "message": f"PayTabs: {message}"[:500],
            },
        )

    def _event_of_return(self, fields: Mapping[str, str]) -> InboundEvent:
        tran_ref = fields.get("tranRef", "")
        status = fields.get("respStatus", "").upper()
        if not tran_ref or not status:
            raise InboundWebhookError(
                "The PayTabs return names no transaction result.", code="invalid_payload"
            )
        message = fields.get("respMessage", "")
        code = fields.get("respCode", "")
        return InboundEvent(
            provider_event_id=f"{tran_ref}:{status}",
            type=_event_type("sale", status),
            gateway_reference=tran_ref,
            occurred_at=dt.datetime.now(tz=dt.UTC),
            livemode=self.livemode,
            data={
                "status": status,
                "cart_id": fields.get("cartId", ""),
                "decline_code": statuses.decline_code(status, code, message) if status in "DEX" else "",
                "network_code": code[:20],
                "message": f"PayTabs: {message}"[:500],
            },
        )

    def health(self):
        def probe():
            status, _ = self._query(tran_ref="TST0000000000000")
            if status == 401:
                raise ProviderHTTPError("PayTabs refused the server key.", code="provider_error",
                                        outcome_unknown=False, http_status=401)  # fmt: skip
            return f"HTTP {status}"

        return self.timed_health(probe)


def _event_type(tran_type: str, status: str) -> str:
    if tran_type == "refund":
        return {"A": "refund.succeeded", "P": "refund.pending", "H": "refund.pending"}.get(
            status, "refund.failed"
        )
    if tran_type == "capture":
        return "charge.captured" if status == "A" else "charge.capture_failed"
    if tran_type == "void":
        return "charge.voided" if status == "A" else "charge.void_failed"
    if status == "A":
        return "charge.authorized" if tran_type == "auth" else "charge.succeeded"
    if status in ("H", "P"):
        return "charge.pending"
    return "charge.failed"


def _declined(decline_code: str, message: str, *, gateway_reference: str = "", raw=None) -> Declined:
    return Declined(
        code="processing_error", decline_code=decline_code, network_code="", message=message[:500],
        gateway_reference=gateway_reference, raw=raw or {},
    )  # fmt: skip


def _json(response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_text(answer: Any, status: int) -> str:
    if isinstance(answer, dict) and answer.get("message"):
        return f"{answer.get('message')} (code {answer.get('code')})"
    return f"HTTP {status}"


def _datetime(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _public(answer: Mapping[str, Any]) -> dict[str, Any]:
    """PayTabs' answer without the customer's details, card description or token."""
    result = answer.get("payment_result") or {}
    return {
        "tran_ref": answer.get("tran_ref"),
        "tran_type": answer.get("tran_type"),
        "cart_id": answer.get("cart_id"),
        "response_status": result.get("response_status"),
        "response_code": result.get("response_code"),
        "response_message": result.get("response_message"),
    }
