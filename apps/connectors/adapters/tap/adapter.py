"""Tap Payments (Kuwait, Gulf, Egypt), API v2, through Tap's hosted payment page.

Built from Tap's API reference (developers.tap.company/reference: "Create a Charge",
"Retrieve a Charge", "Create an Authorize", "Retrieve an Authorize", "Void an Authorize",
"Create a Refund"; developers.tap.company/docs/webhook):

* ``POST /v2/charges`` (sale) or ``POST /v2/authorize`` (hold), ``Authorization: Bearer
  <secret key>``, JSON ``amount`` (decimal major units), ``currency``, ``threeDSecure``,
  ``customer``, ``source.id`` (``src_all``: the hosted page with every method of the account),
  ``redirect.url`` (the customer's return), ``post.url`` (the webhook), ``reference.transaction``
  (our idempotency key) / ``reference.order`` (our charge) → the charge (``chg_…``) or
  authorize (``auth_…``) with ``status`` ``INITIATED`` and ``transaction.url`` (the page), or
  ``{"errors": [{"code", "description"}]}``;
* ``GET /v2/charges/{id}`` / ``GET /v2/authorize/{id}`` → ``status`` ``CAPTURED`` |
  ``AUTHORIZED`` | ``INITIATED`` | ``IN_PROGRESS`` | ``DECLINED`` | ``RESTRICTED`` | ``FAILED``
  | ``ABANDONED`` | ``CANCELLED`` | ``TIMEDOUT`` | ``VOID`` | ``UNKNOWN``, with ``response
  {code, message}``, ``amount``, ``currency``;
* capture of an authorize: ``POST /v2/charges`` with ``source.id`` = the ``auth_…`` id (the
  whole amount); ``POST /v2/authorize/{id}/void``; ``POST /v2/refunds`` (``charge_id``,
  ``amount``, ``currency``, ``reason``, ``reference.merchant``) → ``re_…`` with ``status``
  ``PENDING`` | ``IN_PROGRESS`` | ``REFUNDED`` | ``FAILED`` | ``DECLINED`` | ``CANCELLED``;
  ``GET /v2/refunds/{id}`` reads one back (a refund webhook is believed only after it).

Callbacks: a charge or authorize webhook must carry Tap's ``hashstring`` header, the HMAC-SHA256
with the secret key of its documented field concatenation (``webhooks.py``); one without it or
with another is refused before anything is asked. Even a well-signed webhook only *names* a
charge: its state is then read back from Tap with the secret key (defence in depth, and the one
check of the customer's return, ``?tap_id=chg_…``, which carries no signature); a charge Tap does
not know is refused as forged. Refund webhooks are believed only from the refund read back
(``GET /v2/refunds/{id}``): their hashstring is not checked, the documented string being the
charge's. Test and live are told apart by the key (``sk_test_…`` / ``sk_live_…``), both on
``api.tap.company``. Not covered: lookup by our reference (no documented search by
``reference.transaction``), partial capture, settlement reports, card or token charges without
the hosted page.
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
)
from apps.connectors.http import ProviderHTTPError
from apps.connectors.money import AmountPrecisionError

from . import statuses, webhooks

BASE = "https://api.tap.company/v2"
CURRENCIES = ["KWD", "BHD", "OMR", "SAR", "AED", "QAR", "EGP", "JOD", "USD", "EUR", "GBP"]
_AMOUNT_MARK = "__tap_amount__"
_ID_PREFIXES = ("chg_", "auth_")


class TapAdapter(ProviderAdapter):
    code = "tap"
    display_name = "Tap Payments"
    sdk = ""
    api_version = "API v2 (charges, authorize, refunds)"
    documentation = (
        "Tap API v2 reference (developers.tap.company/reference: charges, authorize, refunds)",
        "developers.tap.company/docs/webhook (post.url webhooks, the hashstring header)",
    )
    notes = (
        "Hosted payment page (src_all). Charge webhooks must carry a valid hashstring (HMAC-SHA256 "
        "with the secret key), and their state, like the customer's unsigned return, is read back from "
        "Tap; refund webhooks are believed from the refund read back only. "
        "Captures are of the whole authorization; no lookup by our reference; no settlement reports."
    )
    supported_payment_method_types = ("tap",)
    capabilities = {
        "payment_method_types": ["tap"],
        "card_networks": None,
        "currencies": CURRENCIES,
        "countries": ["KW", "BH", "OM", "SA", "AE", "QA", "EG", "JO"],
        "flows": ["redirect"],
        "min_amount": None,
        "max_amount": None,
        "three_d_secure": False,  # 3DS runs inside Tap's page
        "manual_capture": True,
        "partial_capture": False,
        "voids": True,
        "refunds": True,
        "partial_refunds": True,
        "lookup": False,
        "webhooks": True,
        "settlement_reports": False,
        "payouts": False,
    }
    credential_fields = ("secret_key",)
    test_base_url = BASE
    live_base_url = BASE
    decline_table = statuses.DECLINE_TABLE

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        key = str(credentials.get("secret_key", ""))
        prefix = "sk_live_" if livemode else "sk_test_"
        if key and not key.startswith(prefix):
            raise ValueError(
                f"credentials[secret_key] of a {'live' if livemode else 'test'} account begins with {prefix}."
            )

    # ------------------------------------------------------------------ the calls
    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.credential('secret_key')}",
            "Content-Type": "application/json",
        }

    def _post(self, path: str, body: dict[str, Any], *, idempotent: bool = False):
        """JSON with ``amount`` written as a decimal literal (never through a float)."""
        amount = body.get("amount")
        if amount is not None:
            body = {**body, "amount": _AMOUNT_MARK}
        text = json.dumps(body)
        if amount is not None:
            text = text.replace(f'"{_AMOUNT_MARK}"', format(Decimal(amount), "f"))
        return self.http.request(
            "POST", path, data=text.encode(), headers=self._headers(), idempotent=idempotent
        )

    def _get(self, object_id: str) -> tuple[int, dict[str, Any]]:
        kind = "authorize" if object_id.startswith("auth_") else "charges"
        response = self.http.request("GET", f"/{kind}/{object_id}", headers=self._headers())
        return response.status, _json(response)

    # ------------------------------------------------------------------ payments
    def authorize(self, request: PaymentRequest):
        return self.start_redirect(request)

    def start_redirect(self, request: PaymentRequest):
        currency = request.currency.upper()
        try:
            amount = self.money.to_major(request.amount, currency)
        except AmountPrecisionError as exc:
            return _declined("invalid_amount", str(exc))
        billing = dict(request.billing_details or {})
        customer = {"first_name": str(billing.get("name") or "Customer")[:50]}
        if billing.get("email"):
            customer["email"] = str(billing["email"])
        body = {
            "amount": amount,
            "currency": currency,
            "threeDSecure": True,
            "save_card": False,
            "description": (request.description or request.reference or "Order")[:255],
            "statement_descriptor": (request.statement_descriptor or "")[:22] or None,
            "metadata": {k: str(v)[:100] for k, v in list((request.metadata or {}).items())[:10]},
            "reference": {"transaction": request.idempotency_key[:64], "order": request.reference[:64]},
            "receipt": {"email": False, "sms": False},
            "customer": customer,
            "source": {"id": "src_all"},
            "post": {"url": self.config.get("callback_url", "")},
            "redirect": {"url": self.config.get("return_url") or request.return_url},
        }
        if not request.capture:
            body["auto"] = {"type": "VOID", "time": 168}  # an authorization Tap voids after 7 days
        body = {k: v for k, v in body.items() if v is not None}
        response = self._post("/charges" if request.capture else "/authorize", body)
        answer = _json(response)
        object_id = str(answer.get("id") or "")
        status = str(answer.get("status") or "").upper()
        url = str((answer.get("transaction") or {}).get("url") or "")
        if response.ok and object_id.startswith(_ID_PREFIXES) and status == "INITIATED" and url:
            return RequiresAction(
                kind="redirect_to_url", reference=object_id, url=url, gateway_reference=object_id
            )
        if response.ok and object_id.startswith(_ID_PREFIXES):
            return self._result(answer, object_id, amount=request.amount, currency=currency)
        return _declined("tap_request_refused", f"Tap refused the charge: {_error_text(answer, response.status)}",
                         raw=answer)  # fmt: skip

    def confirm_redirect(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        """Whatever the customer's browser or the webhook said, Tap's own record decides."""
        status, answer = self._get(reference)
        if status == 404:
            return _declined(
                "processing_error", "Tap does not know this charge.", gateway_reference=reference
            )
        if status != 200:
            raise ProviderHTTPError(f"Tap answered HTTP {status} to the charge read-back.", code="provider_error",
                                    outcome_unknown=False, http_status=status)  # fmt: skip
        return self._result(answer, reference, amount=request.amount, currency=request.currency.upper())

    def _result(self, answer: Mapping[str, Any], reference: str, *, amount: int, currency: str):
        if bool(answer.get("live_mode")) != self.livemode and "live_mode" in answer:
            return _declined("processing_error", "Tap's charge is of the other mode than the account.",
                             gateway_reference=reference)  # fmt: skip
        status = str(answer.get("status") or "").upper()
        response = answer.get("response") or {}
        code = str(response.get("code") or "")
        message = str(response.get("message") or status)
        if status in ("CAPTURED", "AUTHORIZED"):
            paid = answer.get("amount")
            paid_currency = str(answer.get("currency") or currency).upper()
            if paid is not None and (
                paid_currency != currency or self.money.from_major(str(paid), currency) != amount
            ):
                return _declined("amount_mismatch", f"Tap reports {paid} {paid_currency} for this charge.",
                                 gateway_reference=reference)  # fmt: skip
            return Approved(
                gateway_reference=reference, network_code=code, amount=amount, raw=_public(answer)
            )
        if status in ("INITIATED", "IN_PROGRESS", "UNKNOWN", ""):
            return Pending(
                gateway_reference=reference, message=f"Tap: the charge is {status or 'not final'}."
            )
        return Declined(
            code="card_declined", decline_code=statuses.decline_code(status, code, message), network_code=code[:20],
            message=f"Tap: {message}"[:500], gateway_reference=reference, raw=_public(answer),
        )  # fmt: skip

    # ------------------------------------------------------------------ follow-ups
    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        currency = currency.upper()
        body = {
            "amount": self.money.to_major(amount, currency),
            "currency": currency,
            "source": {"id": gateway_reference},
            "reference": {"transaction": idempotency_key[:64]},
            "customer": {"first_name": "Customer"},
            "post": {"url": self.config.get("callback_url", "")},
        }
        if self.config.get("return_url"):
            body["redirect"] = {"url": self.config["return_url"]}
        response = self._post("/charges", body)
        answer = _json(response)
        charge_id = str(answer.get("id") or "")
        if response.ok and str(answer.get("status") or "").upper() == "CAPTURED" and charge_id:
            return Approved(gateway_reference=charge_id, network_code="", amount=amount, raw=_public(answer))
        return _declined("capture_refused", f"Tap refused the capture: {_message(answer, response.status)}",
                         gateway_reference=gateway_reference, raw=answer)  # fmt: skip

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        if not gateway_reference.startswith("auth_"):
            return _declined(
                "void_refused", "Tap voids authorizations (auth_…) only.", gateway_reference=gateway_reference
            )
        response = self._post(
            f"/authorize/{gateway_reference}/void", {}, idempotent=True
        )  # voiding twice voids once
        answer = _json(response)
        if response.ok and str(answer.get("status") or "").upper() == "VOID":
            return Approved(gateway_reference=gateway_reference, network_code="", amount=amount)
        return _declined("void_refused", f"Tap refused the void: {_message(answer, response.status)}",
                         gateway_reference=gateway_reference, raw=answer)  # fmt: skip

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        currency = currency.upper()
        body = {
            "charge_id": gateway_reference,
            "amount": self.money.to_major(amount, currency),
            "currency": currency,
            "reason": "requested_by_customer",
            "reference": {"merchant": idempotency_key[:64]},
            "post": {"url": self.config.get("callback_url", "")},
        }
        response = self._post("/refunds", body)
        answer = _json(response)
        refund_id = str(answer.get("id") or "")
        status = str(answer.get("status") or "").upper()
        if response.ok and refund_id and status == "REFUNDED":
            return Approved(gateway_reference=refund_id, network_code="", amount=amount)
        if response.ok and refund_id and status in ("PENDING", "IN_PROGRESS", "INITIATED"):
            return Pending(gateway_reference=refund_id, message="Tap accepted the refund; it settles later.")
        return Declined(
            code="refund_failed", decline_code="refund_refused", network_code="",
            message=f"Tap refused the refund: {_message(answer, response.status)}"[:500],
            gateway_reference=gateway_reference, raw=answer,
        )  # fmt: skip

    # ------------------------------------------------------------------ webhooks and the return
    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        raw = bytes(body or b"")
        object_id = ""
        if raw.lstrip()[:1] == b"{":
            try:
                claimed = json.loads(raw, parse_float=Decimal)
            except ValueError:
                raise InboundWebhookError("The Tap webhook is not JSON.", code="invalid_payload") from None
            object_id = str(claimed.get("id") or "") if isinstance(claimed, dict) else ""
            if object_id.startswith((*_ID_PREFIXES, "re_")):
                self._verify_hashstring(claimed, headers)
        else:
            object_id = dict(parse_qsl(raw.decode("utf-8", "replace"))).get("tap_id", "")
        if object_id.startswith("re_") and len(object_id) <= 64:
            return self._refund_event(object_id)
        if not object_id.startswith(_ID_PREFIXES) or len(object_id) > 64:
            raise InboundWebhookError("The Tap callback names no charge.", code="signature_missing")
        status_code, answer = self._get(object_id)
        if status_code == 404 or (status_code == 200 and str(answer.get("id") or "") != object_id):
            raise InboundWebhookError(
                "Tap does not know the charge this callback names.", code="signature_invalid"
            )
        if status_code != 200:
            raise ProviderHTTPError(f"Tap answered HTTP {status_code} to the charge read-back.", code="provider_error",
                                    outcome_unknown=False, http_status=status_code)  # fmt: skip
        status = str(answer.get("status") or "").upper()
        if status in ("CAPTURED",):
            event_type = "charge.succeeded"
        elif status == "AUTHORIZED":
            # An authorize the customer approved on Tap's page: completes an attempt waiting on
            # the customer to requires_capture (confirm_redirect's read-back decides).
            event_type = "charge.authorized"
        elif status in ("INITIATED", "IN_PROGRESS", "UNKNOWN"):
            event_type = "charge.pending"
        elif status == "VOID":
            event_type = "charge.voided"
        else:
            event_type = "charge.failed"
        response = answer.get("response") or {}
        code = str(response.get("code") or "")
        currency = str(answer.get("currency") or "").upper()
        amount = answer.get("amount")
        created = (answer.get("transaction") or {}).get("created")
        return InboundEvent(
            provider_event_id=f"{object_id}:{status}",
            type=event_type,
            gateway_reference=object_id,
            occurred_at=_from_millis(created) or dt.datetime.now(tz=dt.UTC),
            livemode=self.livemode,
            amount=self.money.from_major(str(amount), currency) if amount is not None and currency else None,
            currency=currency.lower(),
            data={
                "status": status,
                "decline_code": statuses.decline_code(status, code, str(response.get("message") or ""))
                if event_type == "charge.failed" else "",
                "network_code": code[:20],
                "message": f"Tap: {response.get('message') or status}"[:500],
            },
        )  # fmt: skip

    def _verify_hashstring(self, claimed: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        """A charge, authorize or refund webhook must carry Tap's ``hashstring`` of its own fields
        (a form-encoded ``tap_id`` return is not signed: it is only read back)."""
        given = self.lower_headers(headers).get(webhooks.HEADER, "")
        if not given:
            raise InboundWebhookError("The Tap webhook carries no hashstring.", code="signature_missing")
        if not webhooks.valid(claimed, self.credential("secret_key"), given):
            raise InboundWebhookError(
                "The Tap webhook's hashstring does not match.", code="signature_invalid"
            )

    def _refund_event(self, refund_id: str) -> InboundEvent:
        """A refund webhook, believed once Tap's own record of the refund is read back."""
        response = self.http.request("GET", f"/refunds/{refund_id}", headers=self._headers())
        answer = _json(response)
        if response.status == 404 or (response.ok and str(answer.get("id") or "") != refund_id):
            raise InboundWebhookError(
                "Tap does not know the refund this callback names.", code="signature_invalid"
            )
        if not response.ok:
            raise ProviderHTTPError(
                f"Tap answered HTTP {response.status} to the refund read-back.",
                code="provider_error", outcome_unknown=False, http_status=response.status,
            )  # fmt: skip
        status = str(answer.get("status") or "").upper()
        event_type = {"REFUNDED": "refund.succeeded", "PENDING": "refund.pending", "IN_PROGRESS": "refund.pending",
                      "INITIATED": "refund.pending"}.get(status, "refund.failed")  # fmt: skip
        currency = str(answer.get("currency") or "").upper()
        amount = answer.get("amount")
        message = str((answer.get("response") or {}).get("message") or status)
        return InboundEvent(
            provider_event_id=f"{refund_id}:{status}",
            type=event_type,
            gateway_reference=refund_id,
            occurred_at=_from_millis(answer.get("created")) or dt.datetime.now(tz=dt.UTC),
            livemode=self.livemode,
            amount=self.money.from_major(str(amount), currency) if amount is not None and currency else None,
            currency=currency.lower(),
            data={
                "status": status,
                "decline_code": "refund_refused" if event_type == "refund.failed" else "",
                "message": f"Tap: {message}"[:500],
            },
        )

    def health(self):
        def probe():
            response = self.http.request("GET", "/charges/chg_health_check", headers=self._headers())
            if response.status == 401:
                raise ProviderHTTPError("Tap refused the secret key.", code="provider_error", outcome_unknown=False,
                                        http_status=401)  # fmt: skip
            return f"HTTP {response.status}"

        return self.timed_health(probe)


def _declined(decline_code: str, message: str, *, gateway_reference: str = "", raw=None) -> Declined:
    return Declined(
        code="processing_error", decline_code=decline_code, network_code="", message=message[:500],
        gateway_reference=gateway_reference, raw=raw or {},
    )  # fmt: skip


def _json(response) -> dict[str, Any]:
    # Tap writes amounts as JSON numbers (10.5): read them as Decimal, never as floats.
    try:
        body = json.loads(response.content or b"{}", parse_float=Decimal)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_text(answer: Mapping[str, Any], status: int) -> str:
    errors = answer.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return f"{first.get('description') or first.get('message') or 'error'} (code {first.get('code')})"
    return str(answer.get("message") or f"HTTP {status}")


def _message(answer: Mapping[str, Any], status: int) -> str:
    response = answer.get("response") or {}
    if response.get("message"):
        return f"{response.get('message')} ({answer.get('status')})"
    return _error_text(answer, status)


def _from_millis(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(str(value)) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _public(answer: Mapping[str, Any]) -> dict[str, Any]:
    """Tap's answer without the customer and card details."""
    response = answer.get("response") or {}
    return {
        "id": answer.get("id"),
        "status": answer.get("status"),
        "response_code": response.get("code"),
        "response_message": response.get("message"),
        "reference": answer.get("reference"),
    }
