"""Telr (UAE, Saudi Arabia, Gulf), through Telr's Hosted Payment Page, its Remote API for
follow-ups and its Transaction Advice Service for callbacks.

Built from Telr's documentation: telr.com/support/knowledge-base "Hosted Payment Page integration
guide" and docs.telr.com (Hosted Payment Page: request method and format, ``order.json``
create/check; "Request methods" of the Remote API; "Transaction advice"; "Response codes"), with
the bodies and answers as Telr's own store extensions and ActiveMerchant's Telr gateway send and
record them:

* ``POST https://secure.telr.com/gateway/order.json`` (form fields) ``ivp_method=create``,
  ``ivp_store``, ``ivp_authkey``, ``ivp_amount`` (decimal major units), ``ivp_currency``,
  ``ivp_test`` (``1`` for a test-mode account: one host, the mode is per request), ``ivp_cart``
  (our idempotency key: Telr refuses a second order of a cart, ``E56:Duplicate transaction``),
  ``ivp_desc``, ``ivp_trantype`` (``sale`` | ``auth``), ``return_auth`` / ``return_decl`` /
  ``return_can`` (the customer's way back) and ``ivp_update_url`` (where Telr sends the order's
  transaction advices) → ``{"method": "create", "order": {"ref", "url"}}`` or
  ``{"error": {"message", "note"}}``;
* ``ivp_method=check`` with ``order_ref`` → the order: ``ref``, ``cartid``, ``test``, ``amount``,
  ``currency``, ``status {code, text}`` (``statuses``) and ``transaction {ref, type, class,
  status, code, message}``;
* follow-ups on the Remote API (``remote.py``): ``capture`` and ``release`` of an auth, ``refund``
  of a sale or capture, each by the original transaction's 12-digit ``ref`` (read from the order
  with ``check`` when the charge still holds the order ref);
* the Transaction Advice (``advice.py``): a form POST, SHA-1 ``tran_check`` with the advice secret.

The customer's return carries nothing signed: Telr sends the browser back to the URL given at
create time, with no parameters. So the return URL names only our cart (``?cart=<our key>``);
the gateway return path finds the order ref stored for that cart (``apps.connectors.returns``)
and the order is read back with ``check`` (``parse_return``) — the browser's word is never taken.

Not covered: lookup by our reference (``check`` needs Telr's order ref, and an order Telr made but
never answered is not findable by cart id without the separate Service API), partial capture
(an auth is only reached through the hosted page), card or wallet-token charges without the
page, settlement reports, the newer REST Payments API (``/api/v1/orders``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

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
from apps.connectors.http import ProviderHTTP, ProviderHTTPError
from apps.connectors.money import AmountPrecisionError

from . import advice, remote, statuses

BASE = "https://secure.telr.com"
ORDER_PATH = "/gateway/order.json"
CURRENCIES = ["AED", "SAR", "BHD", "KWD", "OMR", "QAR", "JOD", "EGP", "USD", "EUR", "GBP"]
RETURN_PARAM = "cart"
_TRAN_REF = re.compile(r"^\d{12}$")
_MAX_CART = 63


class TelrAdapter(ProviderAdapter):
    code = "telr"
    display_name = "Telr"
    sdk = ""
    api_version = "Hosted Payment Page order.json (create/check), Remote API remote.xml, Transaction Advice"
    documentation = (
        "telr.com/support/knowledge-base: Hosted Payment Page integration guide (order.json create/check)",
        "docs.telr.com: Remote API request methods (capture, release, refund), Transaction advice, Response codes",
        "ActiveMerchant's Telr gateway tests (recorded remote.xml answers)",
    )
    notes = (
        "Hosted Payment Page only (3DS runs on Telr's page). The customer's return is unsigned, so it "
        "names only our cart and the order is read back with order.json check; transaction advices are "
        "verified by their SHA-1 tran_check (credentials[advice_secret]). Follow-ups need "
        "credentials[remote_key] (the Remote API key). A manually captured payment is not refunded "
        "here (Telr refunds the capture transaction, whose ref the charge does not keep). No lookup by "
        "our reference, no partial capture, no settlement reports."
    )
    supported_payment_method_types = ("telr",)
    capabilities = {
        "payment_method_types": ["telr"],
        "card_networks": None,
        "currencies": CURRENCIES,
        "countries": ["AE", "SA", "BH", "KW", "OM", "QA", "JO"],
        "flows": ["redirect"],
        "min_amount": None,
        "max_amount": None,
        "three_d_secure": False,  # 3DS happens inside Telr's page, not as our own step
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
    credential_fields = ("store_id", "auth_key")
    optional_credential_fields = ("remote_key", "advice_secret")
    test_base_url = BASE
    live_base_url = BASE
    decline_table = statuses.DECLINE_TABLE

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        store = str(credentials.get("store_id", ""))
        if store and not store.isdigit():
            raise ValueError("credentials[store_id] is Telr's numeric store id.")

    def build_http(self) -> ProviderHTTP:
        # Follow-ups carry the remote key inside XML: its escaped form is scrubbed from logs too.
        values = [str(v) for v in self.credentials.values()]
        return ProviderHTTP(provider=self.code, base_url=self.base_url(), timeout=self.timeout(),
                            secrets=sorted({*values, *(xml_escape(v) for v in values)}))  # fmt: skip

    # ------------------------------------------------------------------ the calls
    def _order(self, fields: dict[str, str], *, idempotent: bool) -> tuple[int, dict[str, Any]]:
        base = {"ivp_store": self.credential("store_id"), "ivp_authkey": self.credential("auth_key")}
        response = self.http.request("POST", ORDER_PATH, data={**fields, **base}, idempotent=idempotent)
        return response.status, _json(response.content)

    def _check(self, order_ref: str) -> tuple[int, dict[str, Any]]:
        return self._order({"ivp_method": "check", "order_ref": order_ref}, idempotent=True)

    def _return_url(self, cart: str, fallback: str) -> str:
        """Clearhouse's gateway return with our cart named: the one thing Telr's return keeps."""
        parts = urlsplit(self.config.get("return_url") or fallback)
        query = "&".join(q for q in (parts.query, urlencode({RETURN_PARAM: cart})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

    # ------------------------------------------------------------------ payments
    def authorize(self, request: PaymentRequest):
        return self.start_redirect(request)

    def start_redirect(self, request: PaymentRequest):
        currency = request.currency.upper()
        try:
            amount = self.money.major_str(request.amount, currency)
        except AmountPrecisionError as exc:
            return _declined("invalid_amount", str(exc))
        cart = request.idempotency_key[:_MAX_CART]
        back = self._return_url(cart, request.return_url)
        fields = {
            "ivp_method": "create",
            "ivp_amount": amount,
            "ivp_currency": currency,
            "ivp_test": "0" if self.livemode else "1",
            "ivp_cart": cart,
            "ivp_desc": (request.description or request.reference or "Order")[:63],
            "ivp_trantype": "sale" if request.capture else "auth",
            "ivp_framed": "0",
            "return_auth": back,
            "return_decl": back,
            "return_can": back,
            "ivp_update_url": self.config.get("callback_url", ""),
        }
        billing = dict(request.billing_details or {})
        if billing.get("email"):
            fields["bill_email"] = str(billing["email"])[:100]
        status, answer = self._order(fields, idempotent=False)
        order = answer.get("order") if isinstance(answer.get("order"), dict) else {}
        ref, url = str(order.get("ref") or ""), str(order.get("url") or "")
        if status == 200 and ref and url.startswith("https://"):
            return RequiresAction(
                kind="redirect_to_url", reference=ref, url=url, gateway_reference=ref,
                raw={"trace": answer.get("trace")},
            )  # fmt: skip
        message = _error_text(answer, status)
        code = "telr_duplicate_transaction" if message.startswith("E56") else "telr_request_refused"
        return _declined(
            code, f"Telr refused the payment page: {message}", raw={"error": answer.get("error")}
        )

    def confirm_redirect(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        """Whatever the browser or an advice said, Telr's record of the order decides."""
        status, answer = self._check(reference)
        order = answer.get("order")
        if status != 200 or not isinstance(order, dict):
            return _declined("processing_error", f"Telr could not find the order: {_error_text(answer, status)}",
                             gateway_reference=reference)  # fmt: skip
        return self._order_result(
            order, reference, amount=request.amount, currency=request.currency.upper(),
            cart=request.idempotency_key[:_MAX_CART],
        )  # fmt: skip

    def _order_result(
        self, order: Mapping[str, Any], reference: str, *, amount: int, currency: str, cart: str
    ):
        problem = self._foreign(order, reference, cart)
        if problem:
            return _declined("processing_error", problem, gateway_reference=reference)
        code = _int((order.get("status") or {}).get("code"))
        tran = order.get("transaction") if isinstance(order.get("transaction"), dict) else {}
        tstatus = str(tran.get("status") or "").upper()
        if code in (statuses.ORDER_PAID, statuses.ORDER_AUTHORISED) and tstatus == "A":
            paid = order.get("amount")
            paid_currency = str(order.get("currency") or currency).upper()
            if paid is not None and (
                paid_currency != currency or self.money.from_major(str(paid), currency) != amount
            ):
                return _declined("amount_mismatch", f"Telr reports {paid} {paid_currency} for this order.",
                                 gateway_reference=reference)  # fmt: skip
            return Approved(
                gateway_reference=reference, network_code="00", authorization_code=str(tran.get("code") or "")[:16],
                amount=amount, raw=_public(order),
            )  # fmt: skip
        if code in (statuses.ORDER_PENDING, statuses.ORDER_PAYMENT_REQUESTED) or (
            code in (statuses.ORDER_PAID, statuses.ORDER_AUTHORISED) and tstatus in ("H", "P", "")
        ):
            text = (order.get("status") or {}).get("text") or "not final"
            return Pending(gateway_reference=reference, message=f"Telr: the order is {text}.")
        return Declined(
            code="card_declined", decline_code=_order_decline(code, tran), network_code=str(tran.get("code") or "")[:20],
            message=f"Telr: {tran.get('message') or (order.get('status') or {}).get('text') or 'declined'}"[:500],
            gateway_reference=reference, raw=_public(order),
        )  # fmt: skip

    def _foreign(self, order: Mapping[str, Any], reference: str, cart: str) -> str:
        """Why Telr's order is not the one we sent (another ref, cart or mode), or ""."""
        if str(order.get("ref") or reference) != reference:
            return "Telr answered about another order."
        if cart and str(order.get("cartid") or cart) != cart:
            return "Telr's order belongs to another cart."
        test = order.get("test")
        if test is not None and str(test) in ("0", "1") and (str(test) == "0") != self.livemode:
            return "Telr's order is of the other mode than the account."
        return ""

    # ------------------------------------------------------------------ follow-ups (Remote API)
    def _transaction(self, gateway_reference: str) -> tuple[str, str]:
        """The 12-digit transaction a follow-up references and its type: a transaction ref as
        such, else the order's transaction read with ``check`` ("" when Telr names none)."""
        if _TRAN_REF.match(gateway_reference or ""):
            return gateway_reference, ""
        status, answer = self._check(gateway_reference)
        tran = (answer.get("order") or {}).get("transaction") if status == 200 else None
        if not isinstance(tran, dict):
            return "", ""
        return str(tran.get("ref") or ""), str(tran.get("type") or "").lower()

    def _remote(self, kind, *, gateway_reference, amount, currency, refused, idempotency_key):
        key = str(self.credentials.get("remote_key") or "")
        if not key:
            return _declined("telr_remote_key_missing", f"A Telr {kind} needs credentials[remote_key] (the Remote API key).",
                             gateway_reference=gateway_reference)  # fmt: skip
        currency = currency.upper()
        try:
            major = self.money.major_str(amount, currency)
        except AmountPrecisionError as exc:
            return _declined("invalid_amount", str(exc))
        tran_ref, tran_type = self._transaction(gateway_reference)
        if not tran_ref:
            return _declined(refused, f"Telr names no transaction to {kind} for this order.",
                             gateway_reference=gateway_reference)  # fmt: skip
        if kind == "refund" and tran_type == "auth":
            # Telr refunds a sale or a capture, by that transaction's ref; the capture's ref is not
            # what the charge keeps (its order ref), so this refund cannot be addressed here.
            return _declined(refused, "Telr refunds a captured authorisation by its capture transaction, which this "
                             "charge does not hold: refund it in Telr's Merchant Administration.",
                             gateway_reference=gateway_reference)  # fmt: skip
        body = remote.request_xml(store=self.credential("store_id"), key=key, type=kind, currency=currency,
                                  amount=major, ref=tran_ref, test=not self.livemode, cartid=idempotency_key[:_MAX_CART])  # fmt: skip
        # Telr takes no idempotency key on the Remote API: a write is never repeated by the client
        # (a timeout leaves the operation unknown instead of risking a second refund).
        response = self.http.request("POST", remote.PATH, data=body, headers={"Content-Type": "text/xml"},
                                     idempotent=False)  # fmt: skip
        auth = remote.parse_auth(response.content)
        status, new_ref = auth.get("status", "").upper(), auth.get("tranref", "")
        if response.ok and status == "A" and new_ref:
            return Approved(gateway_reference=new_ref, network_code="00", authorization_code=auth.get("code", "")[:16],
                            amount=amount, raw={"trace": auth.get("trace")})  # fmt: skip
        if response.ok and status == "H" and new_ref:
            return Pending(gateway_reference=new_ref, message=f"Telr holds the {kind} for inspection.")
        message = auth.get("message") or f"HTTP {response.status}"
        return Declined(
            code="refund_failed" if kind == "refund" else "processing_error", decline_code=refused,
            network_code=auth.get("code", "")[:20], message=f"Telr refused the {kind}: {message} (code {auth.get('code')})"[:500],
            gateway_reference=gateway_reference, raw={k: auth.get(k) for k in ("status", "code", "message", "trace")},
        )  # fmt: skip

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return self._remote("capture", gateway_reference=gateway_reference, amount=amount, currency=currency,
                            refused="capture_refused", idempotency_key=idempotency_key)  # fmt: skip

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        # Our void releases an authorization: Telr's "release" (its "void" cancels a settled sale).
        return self._remote("release", gateway_reference=gateway_reference, amount=amount, currency=currency,
                            refused="void_refused", idempotency_key=idempotency_key)  # fmt: skip

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return self._remote("refund", gateway_reference=gateway_reference, amount=amount, currency=currency,
                            refused="refund_refused", idempotency_key=idempotency_key)  # fmt: skip

    # ------------------------------------------------------------------ the return and advices
    def return_reference(self, *, body: bytes, headers: Mapping[str, str]) -> str | None:
        """Our cart when this is the customer's return (``?cart=…``), None for an advice."""
        fields = dict(parse_qsl(bytes(body or b"").decode("utf-8", "replace")))
        if "tran_check" in fields or "tran_ref" in fields:
            return None
        cart = fields.get(RETURN_PARAM, "")
        return cart if 0 < len(cart) <= _MAX_CART else None

    def parse_return(self, *, body: bytes, headers: Mapping[str, str], reference: str,
                     gateway_reference: str) -> InboundEvent:  # fmt: skip
        """The customer's return for our cart ``reference``, whose order ``gateway_reference`` we
        stored at create time: the order is read back, and only Telr's answer is believed."""
        status, answer = self._check(gateway_reference)
        order = answer.get("order")
        if status == 200 and not isinstance(order, dict):
            raise InboundWebhookError(
                "Telr does not know the order this return names.", code="signature_invalid"
            )
        if status != 200:
            raise ProviderHTTPError(f"Telr answered HTTP {status} to the order check.", code="provider_error",
                                    outcome_unknown=False, http_status=status)  # fmt: skip
        problem = self._foreign(order, gateway_reference, reference)
        if problem:
            raise InboundWebhookError(problem, code="signature_invalid")
        code = _int((order.get("status") or {}).get("code"))
        tran = order.get("transaction") if isinstance(order.get("transaction"), dict) else {}
        tstatus = str(tran.get("status") or "").upper()
        if code in (statuses.ORDER_PAID, statuses.ORDER_AUTHORISED) and tstatus == "A":
            # the customer's step succeeded (paid, or authorised for a manual capture): completed
            # like the customer's answer, confirm_redirect's read-back decides what is recorded
            event_type = "charge.succeeded"
        elif code in (statuses.ORDER_EXPIRED, statuses.ORDER_CANCELLED, statuses.ORDER_DECLINED) or (
            tstatus and tstatus in "DECX"
        ):
            event_type = "charge.failed"
        else:
            event_type = "charge.pending"
        currency = str(order.get("currency") or "").upper()
        amount = order.get("amount")
        tran_ref = str(tran.get("ref") or "")
        return InboundEvent(
            # the same id as the transaction's advice, so whichever comes second is a duplicate
            provider_event_id=f"{tran_ref}:{tstatus}"
            if tran_ref
            else f"{gateway_reference[:64]}:order:{code}",
            type=event_type,
            gateway_reference=gateway_reference,
            occurred_at=dt.datetime.now(tz=dt.UTC),
            livemode=self.livemode,
            amount=self.money.from_major(str(amount), currency) if amount is not None and currency else None,
            currency=currency.lower(),
            data={
                "status": tstatus or str(code),
                "cart_id": reference,
                "decline_code": _order_decline(code, tran) if event_type == "charge.failed" else "",
                "network_code": str(tran.get("code") or "")[:20],
                "message": f"Telr: {tran.get('message') or (order.get('status') or {}).get('text') or ''}"[
                    :500
                ],
            },
        )

    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        fields = dict(parse_qsl(bytes(body or b"").decode("utf-8", "replace"), keep_blank_values=True))
        if not fields.get("tran_ref"):
            raise InboundWebhookError("The Telr callback is no transaction advice.", code="signature_missing")
        if not fields.get("tran_check"):
            raise InboundWebhookError("The Telr advice carries no tran_check.", code="signature_missing")
        secret = str(self.credentials.get("advice_secret") or "")
        if not secret:
            raise InboundWebhookError(
                "The account has no advice secret to verify Telr's advice with.", code="signature_invalid"
            )
        if not advice.valid(fields, secret):
            raise InboundWebhookError(
                "The Telr advice's tran_check does not match.", code="signature_invalid"
            )
        if fields.get("tran_store") and fields["tran_store"] != str(self.credentials.get("store_id") or ""):
            raise InboundWebhookError("The Telr advice is of another store.", code="signature_invalid")
        kind = advice.transaction_type(fields.get("tran_type", ""))
        status = fields.get("tran_status", "").upper()
        tran_ref = fields["tran_ref"]
        currency = fields.get("tran_currency", "").upper()
        amount = fields.get("tran_amount")
        event_type = _advice_type(kind, status)
        failed = event_type.endswith(".failed")
        return InboundEvent(
            provider_event_id=f"{tran_ref}:{status}",
            type=event_type,
            # a hosted-page sale or auth is known to us by its order ref; a refund by its own ref
            gateway_reference=tran_ref if kind == "refund" else (fields.get("tran_order") or tran_ref),
            occurred_at=dt.datetime.now(tz=dt.UTC),
            livemode=fields.get("tran_test", "1") == "0",
            amount=self.money.from_major(amount, currency) if amount and currency else None,
            currency=currency.lower(),
            data={
                "status": status,
                "transaction_type": kind,
                "transaction_ref": tran_ref,
                "cart_id": fields.get("tran_cartid", ""),
                "decline_code": ("refund_refused" if kind == "refund" else
                                 statuses.decline_code(status, fields.get("tran_authcode", ""))) if failed else "",
                "network_code": fields.get("tran_authcode", "")[:20],
                "message": f"Telr: {fields.get('tran_authmessage') or status}"[:500],
            },
        )  # fmt: skip

    def health(self):
        def probe():
            status, answer = self._check("0" * 64)
            message = _error_text(answer, status).lower()
            if status != 200 or "store" in message or "auth" in message:
                raise ProviderHTTPError(f"Telr refused the store or key: {message}", code="provider_error",
                                        outcome_unknown=False, http_status=status)  # fmt: skip
            return f"HTTP {status}"

        return self.timed_health(probe)


def _advice_type(kind: str, status: str) -> str:
    ok, held = status == "A", status == "H"
    if kind == "refund":
        return "refund.succeeded" if ok else "refund.pending" if held else "refund.failed"
    if kind == "capture":
        return "charge.captured" if ok else "charge.pending" if held else "charge.capture_failed"
    if kind in ("void", "release", "capture_reversal"):
        return "charge.voided" if ok else "charge.void_failed"
    if ok:
        return "charge.authorized" if kind == "auth" else "charge.succeeded"
    return "charge.pending" if held else "charge.failed"


def _order_decline(code: int | None, tran: Mapping[str, Any]) -> str:
    if code == statuses.ORDER_EXPIRED:
        return "expired"
    if code == statuses.ORDER_CANCELLED:
        return "payment_canceled"
    return statuses.decline_code(str(tran.get("status") or "D"), str(tran.get("code") or ""))


def _declined(decline_code: str, message: str, *, gateway_reference: str = "", raw=None) -> Declined:
    return Declined(
        code="processing_error", decline_code=decline_code, network_code="", message=message[:500],
        gateway_reference=gateway_reference, raw=raw or {},
    )  # fmt: skip


def _json(content: bytes) -> dict[str, Any]:
    # Telr writes amounts as strings ("10.50"); a number is read as Decimal, never as a float.
    try:
        body = json.loads(content or b"{}", parse_float=Decimal)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int(value) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _error_text(answer: Mapping[str, Any], status: int) -> str:
    error = answer.get("error")
    if isinstance(error, dict) and error.get("message"):
        note = f" ({error['note']})" if error.get("note") else ""
        return f"{error['message']}{note}"
    return f"HTTP {status}"


def _public(order: Mapping[str, Any]) -> dict[str, Any]:
    """Telr's order without the customer and card details."""
    tran = order.get("transaction") if isinstance(order.get("transaction"), dict) else {}
    return {
        "ref": order.get("ref"),
        "cartid": order.get("cartid"),
        "status": (order.get("status") or {}).get("code"),
        "transaction_ref": tran.get("ref"),
        "transaction_status": tran.get("status"),
        "transaction_message": tran.get("message"),
    }
