"""TapToPay: the server side of a device payment — a contactless read or a device wallet (Apple
Pay, Google Pay) on the customer's or the merchant's phone — charged through Tap's API v2.

What is real, and what this adapter is: the device side (the phone reading the card, or the
wallet sheet) is an SDK on the phone, which yields an encrypted wallet payload; nothing of it
runs on a server, so nothing of it is here. Tap's server API takes that payload and charges it:

* ``POST https://api.tap.company/v2/tokens`` with ``{"type": "applepay" | "googlepay",
  "token_data": <the wallet's payload as the device returned it>}`` → a Tap token ``tok_…``
  (developers.tap.company "Apple Pay Token", "Google Pay Token", "Device Payments" integration
  flow). A device integration that already exchanged the payload with Tap hands over the
  ``tok_…`` itself (the payment method's wallet token), and the exchange is skipped;
* then a charge (``POST /v2/charges``) or an authorize (``POST /v2/authorize``) with
  ``source.id`` = the token, answered at once (``CAPTURED`` / ``AUTHORIZED`` / ``DECLINED`` …):
  the wallet authenticated the customer on the device, so the flow is direct;
* capture, void, refund, webhooks (the ``hashstring``) and the read-back are Tap's
  (``apps.connectors.adapters.tap``), unchanged.

Built against Tap API v2 (the charge, authorize, refund and token objects of
developers.tap.company/reference). Not covered: the device SDKs themselves (Tap's or Apple's
ProximityReader, Google's), hosted-page payments (the ``tap`` connector), a charge Tap answers
with a 3DS page (refused as ``authentication_required``: a device wallet payment has no browser
to send there), lookup by our reference, partial capture, settlement reports.
"""

from __future__ import annotations

import json
from typing import Any

from apps.connectors.adapters.tap import statuses as tap_statuses
from apps.connectors.adapters.tap.adapter import TapAdapter, _declined, _error_text, _json
from apps.connectors.base import PaymentRequest, not_supported
from apps.connectors.money import AmountPrecisionError

WALLETS = {"apple_pay": "applepay", "google_pay": "googlepay"}
DECLINE_TABLE = {
    **tap_statuses.DECLINE_TABLE,
    "invalid_wallet_token": "do_not_retry",  # the device's payload was refused: another try, same answer
}


class TapToPayAdapter(TapAdapter):
    code = "taptopay"
    display_name = "TapToPay"
    api_version = "Tap API v2 (tokens, charges, authorize, refunds)"
    documentation = (
        "developers.tap.company: Apple Pay Token, Google Pay Token, Device Payments integration flow",
        "Tap API v2 reference (developers.tap.company/reference: tokens, charges, authorize, refunds)",
        "developers.tap.company/docs/webhook (the hashstring header)",
    )
    notes = (
        "The server side of tap-to-pay and device wallets: the wallet's payload (or the Tap token "
        "tok_… a device integration already made of it) is charged through Tap's API with the "
        "account's secret key. The device SDK that reads the card or opens the wallet is not covered "
        "(it runs on the phone, not on a server); a payment method's wallet token holds at most 500 "
        "characters, so through the API a device integration hands over the tok_… (a raw Apple Pay "
        "payload is longer); a charge Tap answers with a 3DS page is refused; "
        "captures are of the whole authorization; no lookup by our reference; no settlement reports."
    )
    supported_payment_method_types = ("apple_pay", "google_pay")
    capabilities = {
        **TapAdapter.capabilities,
        "payment_method_types": ["apple_pay", "google_pay"],
        "card_networks": ["visa", "mastercard", "amex", "mada"],
        "flows": ["direct", "wallet_token"],
        "three_d_secure": False,
    }
    decline_table = DECLINE_TABLE

    # ------------------------------------------------------------------ payments
    def authorize(self, request: PaymentRequest):
        wallet = WALLETS.get(request.payment_method_type)
        if wallet is None:
            return not_supported(self.code, f"{request.payment_method_type} payments")
        currency = request.currency.upper()
        try:
            amount = self.money.to_major(request.amount, currency)
        except AmountPrecisionError as exc:
            return _declined("invalid_amount", str(exc))
        token = self._tap_token(wallet, request.wallet_token)
        if not isinstance(token, str):
            return token
        billing = dict(request.billing_details or {})
        customer = {"first_name": str(billing.get("name") or "Customer")[:50]}
        if billing.get("email"):
            customer["email"] = str(billing["email"])
        body = {
            "amount": amount,
            "currency": currency,
            "threeDSecure": False,  # the wallet authenticated the customer on the device
            "save_card": False,
            "customer_initiated": True,
            "description": (request.description or request.reference or "Order")[:255],
            "metadata": {k: str(v)[:100] for k, v in list((request.metadata or {}).items())[:10]},
            "reference": {"transaction": request.idempotency_key[:64], "order": request.reference[:64]},
            "receipt": {"email": False, "sms": False},
            "customer": customer,
            "source": {"id": token},
            "post": {"url": self.config.get("callback_url", "")},
            "redirect": {"url": self.config.get("return_url") or request.return_url},
        }
        if not request.capture:
            body["auto"] = {"type": "VOID", "time": 168}
        response = self._post("/charges" if request.capture else "/authorize", body)
        answer = _json(response)
        object_id = str(answer.get("id") or "")
        if not (response.ok and object_id.startswith(("chg_", "auth_"))):
            return _declined("tap_request_refused", f"Tap refused the charge: {_error_text(answer, response.status)}",
                             raw=answer)  # fmt: skip
        if str(answer.get("status") or "").upper() == "INITIATED" and (answer.get("transaction") or {}).get(
            "url"
        ):
            return _declined("authentication_required", "Tap asked for 3D Secure on a device wallet payment.",
                             gateway_reference=object_id)  # fmt: skip
        return self._result(answer, object_id, amount=request.amount, currency=currency)

    def _tap_token(self, wallet: str, wallet_token: str) -> str | Any:
        """The Tap token to charge: the payment method's own ``tok_…``, or the one Tap makes of the
        wallet's payload (``POST /v2/tokens``)."""
        value = (wallet_token or "").strip()
        if value.startswith("tok_") and len(value) <= 64:
            return value
        try:
            payload = json.loads(value)
        except ValueError:
            payload = None
        expected = ("data", "header", "signature", "version") if wallet == "applepay" else ("signedMessage",)
        if not isinstance(payload, dict) or not all(key in payload for key in expected):
            return _declined(
                "invalid_wallet_token", f"The payment method holds no {wallet} payload or Tap token."
            )
        response = self.http.request(
            "POST", "/tokens", data=json.dumps({"type": wallet, "token_data": payload}).encode(),
            headers=self._headers(), idempotent=True,  # a token moves no money: safe to repeat
        )  # fmt: skip
        answer = _json(response)
        token = str(answer.get("id") or "")
        if response.ok and token.startswith("tok_"):
            return token
        return _declined("invalid_wallet_token", f"Tap refused the {wallet} payload: {_error_text(answer, response.status)}",
                         raw=answer)  # fmt: skip

    def start_redirect(self, request: PaymentRequest):
        return not_supported(self.code, "redirect payments")

    def confirm_redirect(self, request: PaymentRequest, *, reference, payload):
        return not_supported(self.code, "redirect payments")
