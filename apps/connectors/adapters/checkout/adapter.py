"""Checkout.com, through the official ``checkout-sdk`` (Python) on the unified Payments API.

Built from:
* the Checkout.com API reference, Payments (https://api-reference.checkout.com/#tag/Payments):
  ``POST /payments`` (201 processed / 202 pending with ``_links.redirect`` for 3DS),
  ``GET /payments/{id}`` (also by ``cko-session-id`` after the 3DS redirect),
  ``GET /payments?reference=`` (lookup by our reference), ``POST /payments/{id}/captures``,
  ``/voids``, ``/refunds`` (202 ``{"action_id", "reference"}``), idempotency by
  ``Cko-Idempotency-Key``; the error body ``{"request_id", "error_type", "error_codes"}``;
* "API response codes" and "Format the amount value" (statuses.py, amounts.py);
* webhooks with ``Cko-Signature`` (webhooks.py);
* "Retrieve reports" (Reports API), "Financial Actions by Date Range Report" and "Breakdown
  types" for the settlement report (settlement.py);
* the SDK itself, github:checkout/checkout-sdk-python 4.8.1 (``CheckoutSdk.builder()``,
  ``payments.request_payment / capture_payment / void_payment / refund_payment /
  get_payment_details / get_payments_list``; ``environment_subdomain`` is required since 4.x).

Credentials (from the connector account only): ``secret_key`` (``sk_sbox_…`` in test mode,
``sk_…`` live), ``processing_channel_id`` (``pc_…``), optional ``webhook_secret`` (the workflow's
signature key). Config: ``environment_subdomain`` (the client id without ``cli_``), optional
``entity_id`` (``ent_…``: the entity whose reports are read, when the key sees several). Test mode
talks to ``{subdomain}.api.sandbox.checkout.com``, live mode to ``{subdomain}.api.checkout.com``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from checkout_sdk.checkout_sdk import CheckoutSdk
from checkout_sdk.environment import Environment
from checkout_sdk.exception import CheckoutApiException, CheckoutArgumentException
from checkout_sdk.payments.payments import (
    BillingDescriptor,
    CaptureRequest,
    PaymentRequestCardSource,
    PaymentsQueryFilter,
    RefundRequest,
    ThreeDsRequest,
    VoidRequest,
)
from checkout_sdk.payments.payments import (
    PaymentRequest as CkoPaymentRequest,
)

from apps.connectors.adapters.base import ProviderAdapter
from apps.connectors.base import (
    Approved,
    ConfigValueError,
    Declined,
    HealthStatus,
    InboundEvent,
    InboundWebhookError,
    PaymentRequest,
    Pending,
    RequiresAction,
    lookup_not_supported,
)
from apps.connectors.money import AmountPrecisionError

from . import settlement, statuses, webhooks
from .amounts import from_checkout, to_checkout
from .transport import ProviderSessionBuilder

SANDBOX_API = "https://api.sandbox.checkout.com/"
LIVE_API = "https://api.checkout.com/"
_SECRET_KEY = re.compile(r"^sk_(sbox_)?[a-z2-7]{26}[a-z2-7*#$=]$")
_SUBDOMAIN = re.compile(r"^(?:pl-)?[a-z0-9]+$")
# Our keys of operations on a payment whose own key is "<charge>:authorize".


def _get(obj: Any, name: str, default=None):
    """A field of the SDK's ``ResponseWrapper`` (attributes; ``3ds`` is not an identifier)."""
    return getattr(obj, name, default) if obj is not None else default


def _as_dict(obj: Any) -> dict:
    if obj is None:
        return {}
    out = {}
    for key, value in vars(obj).items():
        if key == "http_metadata":
            continue
        if hasattr(value, "__dict__") and not isinstance(value, (str, int, float, bool)):
            out[key] = _as_dict(value)
        elif isinstance(value, list):
            out[key] = [_as_dict(v) if hasattr(v, "__dict__") else v for v in value]
        else:
            out[key] = value
    return out


def _misconfigured(exc: CheckoutArgumentException) -> Declined:
    """The SDK refused to build a request (an account saved with a bad environment_subdomain
    before validate_config checked it): nothing was sent, so this is a plain decline, not an
    outcome to look up."""
    return Declined(decline_code="processing_error", network_code="", code="processing_error",
                    message=f"Checkout.com account misconfigured: {exc}"[:300])  # fmt: skip


def _with_amount(body, amount: int, currency: str):
    body.amount = to_checkout(amount, currency)
    return body


class CheckoutAdapter(ProviderAdapter):
    code = "checkout"
    display_name = "Checkout.com"
    sdk = "checkout-sdk==4.8.1"
    api_version = "unified Payments API (unversioned; checkout-sdk 4.8.1 default platform)"
    documentation = (
        "Checkout.com API reference, Payments (api-reference.checkout.com)",
        "Checkout.com docs: API response codes; Format the amount value; Webhooks (Cko-Signature)",
        "Checkout.com docs: Retrieve reports (Reports API); Financial Actions by Date Range Report; "
        "Breakdown types",
        "checkout-sdk 4.8.1 source (github:checkout/checkout-sdk-python)",
    )
    notes = (
        "Cards only (Checkout.com's APMs — iDEAL, Klarna, … — are not wired). A settlement day is a "
        "day of the entity's settlement time zone (the report's), amounts are the holding "
        "currency's with fees rounded half-up once per action; the Payouts and Financial Actions by "
        "Payout ID reports are not read. "
        "Checkout.com versions its API by SDK release, not by a request header, so the pinned SDK "
        "is the pin."
    )
    test_mode = True
    live_mode = True
    test_base_url = SANDBOX_API
    live_base_url = LIVE_API
    credential_fields = ("secret_key", "processing_channel_id")
    optional_credential_fields = ("webhook_secret",)
    capabilities = {
        "payment_method_types": ["card"],
        "card_networks": ["amex", "cartes_bancaires", "diners", "discover", "jcb", "mastercard", "visa"],
        "currencies": None,
        "countries": None,
        "flows": ["direct", "three_d_secure"],
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
    decline_table = statuses.DECLINE_TABLE

    @classmethod
    def validate_config(cls, config: Mapping[str, Any], *, livemode: bool) -> None:
        """``environment_subdomain`` is required: Checkout.com's base URLs are per account
        (``https://{prefix}.api.checkout.com``, ``https://{prefix}.api.sandbox.checkout.com``; the
        API reference's "Base URLs"), the prefix being the client id without ``cli_`` — the
        checkout-sdk's own pattern, checked here so a bad one is refused when the account is saved."""
        subdomain = config.get("environment_subdomain")
        if not isinstance(subdomain, str) or not subdomain:
            raise ConfigValueError(
                "config[environment_subdomain] is required: your Checkout.com client id without cli_ "
                "(Dashboard > Developers > Overview).",
                name="environment_subdomain",
            )
        if subdomain.startswith("cli_"):
            raise ConfigValueError(
                "config[environment_subdomain] is the client id without its cli_ prefix.",
                name="environment_subdomain",
            )
        if len(subdomain) > 63 or not _SUBDOMAIN.fullmatch(subdomain):
            raise ConfigValueError(
                "config[environment_subdomain] must be lower-case letters and digits (optionally after "
                "pl-), as in the client id cli_<prefix>.",
                name="environment_subdomain",
            )

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        key = str(credentials.get("secret_key") or "")
        if key and not _SECRET_KEY.match(key):
            raise ValueError("secret_key is not a Checkout.com secret key (sk_…).")
        if key and livemode == key.startswith("sk_sbox_"):
            raise ValueError(
                "A live account takes a live secret key (sk_…), a test one a sandbox key (sk_sbox_…)."
            )
        channel = str(credentials.get("processing_channel_id") or "")
        if channel and not channel.startswith("pc_"):
            raise ValueError("processing_channel_id is a Checkout.com processing channel (pc_…).")

    # ------------------------------------------------------------------ the SDK
    def _api(self):
        if getattr(self, "_cko", None) is None:
            subdomain = str(self.config.get("environment_subdomain") or "")
            if len(subdomain) > 63 or not _SUBDOMAIN.fullmatch(subdomain):
                # validate_config refuses such an account when it is saved; one saved before that
                # check is refused here, before anything is sent
                raise CheckoutArgumentException(
                    "config[environment_subdomain] (the client id without cli_) is required."
                )
            self._cko = (
                CheckoutSdk.builder()
                .secret_key(self.credential("secret_key"))
                .environment(Environment.production() if self.livemode else Environment.sandbox())
                .environment_subdomain(subdomain)
                .http_client_builder(ProviderSessionBuilder(self.http))
                .build()
            )
        return self._cko

    def base_url(self) -> str:
        return ""  # the SDK builds full URLs (with the account's subdomain)

    # ------------------------------------------------------------------ results
    def _declined_from_error(self, exc: CheckoutApiException, *, default: str) -> Declined:
        status = exc.http_metadata.status_code if exc.http_metadata else None
        codes = list(exc.error_details or [])
        if status == 404:
            decline = "payment_not_found"
        elif status == 403 and not codes:
            decline = default
        else:
            decline = "request_invalid"
        message = ", ".join(codes) or f"Checkout.com answered HTTP {status}."
        return Declined(
            decline_code=decline,
            network_code="",
            message=message,
            code="card_declined" if decline not in ("request_invalid", "payment_not_found") else "processing_error",
            raw={"http_status": status, "error_type": exc.error_type, "error_codes": codes,
                 "request_id": exc.request_id},
        )  # fmt: skip

    def _result(self, payment: Any, *, request_amount: int | None = None, currency: str = ""):
        status = str(_get(payment, "status", ""))
        raw = _as_dict(payment)
        pay_id = str(_get(payment, "id", ""))
        three_ds = _get(payment, "3ds")
        three_ds_info = (
            {"version": _get(three_ds, "version"), "enrolled": _get(three_ds, "enrolled"),
             "authentication_response": _get(three_ds, "authentication_response")}
            if three_ds is not None else None
        )  # fmt: skip
        risk = _get(payment, "risk")
        links = _get(payment, "_links")
        redirect = _get(_get(links, "redirect"), "href")
        if status in statuses.PENDING_STATUSES and redirect:
            return RequiresAction(
                kind="redirect_to_url",
                reference=pay_id,
                url=str(redirect),
                three_ds=True,
                gateway_reference=pay_id,
                raw=raw,
            )
        response_code = str(_get(payment, "response_code", "") or "")
        approved = _get(payment, "approved")
        if status in statuses.APPROVED_STATUSES and approved is not False:
            amount = _get(payment, "amount")
            cur = str(_get(payment, "currency", "") or currency)
            source = _get(payment, "source")
            cvv = _get(source, "cvv_check")
            return Approved(
                gateway_reference=pay_id,
                network_code=response_code[-2:] if response_code.startswith("10") else "00",
                authorization_code=str(_get(payment, "auth_code", "") or ""),
                amount=from_checkout(amount, cur) if isinstance(amount, int) and cur else request_amount,
                cvc_check={"Y": "pass", "N": "fail", "U": "unavailable"}.get(str(cvv or "")),
                three_ds=three_ds_info,
                risk_level="elevated" if _get(risk, "flagged") else "normal",
                network_transaction_id=str(_get(payment, "scheme_id", "") or ""),
                raw=raw,
            )
        if status in statuses.PENDING_STATUSES:
            return Pending(gateway_reference=pay_id, message=f"Checkout.com payment {status}.", raw=raw)
        decline_code, code = statuses.decline_for(response_code)
        summary = str(_get(payment, "response_summary", "") or status or "Declined")
        return Declined(
            decline_code=decline_code,
            network_code=response_code[-2:] if len(response_code) == 5 else response_code,
            message=f"{summary} ({response_code})" if response_code else summary,
            code=code,
            gateway_reference=pay_id,
            three_ds=three_ds_info,
            raw=raw,
        )

    # ------------------------------------------------------------------ operations
    def authorize(self, request: PaymentRequest):
        try:
            amount = to_checkout(request.amount, request.currency)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        source = PaymentRequestCardSource()
        source.number = request.card.number
        source.expiry_month = int(request.card.exp_month)
        source.expiry_year = int(request.card.exp_year)
        if request.cvc:
            source.cvv = request.cvc
        body = CkoPaymentRequest()
        body.source = source
        body.amount = amount
        body.currency = request.currency.upper()
        body.capture = bool(request.capture)
        # Our idempotency key is the reference: it is what lookup() searches by.
        body.reference = request.idempotency_key
        body.processing_channel_id = self.credential("processing_channel_id")
        if request.description:
            body.description = request.description[:100]
        if request.statement_descriptor:
            descriptor = BillingDescriptor()
            descriptor.name = request.statement_descriptor[:25]
            descriptor.city = str(self.config.get("descriptor_city") or "Online")[:13]
            body.billing_descriptor = descriptor
        body.metadata = {**dict(request.metadata or {}), "clearhouse_charge": request.reference}
        if request.off_session:
            body.merchant_initiated = True
            body.payment_type = "Unscheduled"
        elif request.three_ds != "never":
            three_ds = ThreeDsRequest()
            three_ds.enabled = True
            three_ds.challenge_indicator = (
                "challenge_requested_mandate" if request.three_ds == "always" else "no_preference"
            )
            body.three_ds = three_ds
            body.success_url = request.return_url or "https://clearhouse.invalid/return"
            body.failure_url = request.return_url or "https://clearhouse.invalid/return"
        try:
            payment = self._api().payments.request_payment(body, idempotency_key=request.idempotency_key)
        except CheckoutArgumentException as exc:
            return _misconfigured(exc)
        except CheckoutApiException as exc:
            status = exc.http_metadata.status_code if exc.http_metadata else None
            codes = list(exc.error_details or [])
            return Declined(
                decline_code="processing_error" if status in (401, 403) else "invalid_request",
                network_code="",
                message=", ".join(codes) or f"Checkout.com answered HTTP {status}.",
                code="processing_error" if status in (401, 403) else "card_declined",
                raw={"http_status": status, "error_type": exc.error_type, "error_codes": codes},
            )
        return self._result(payment, request_amount=request.amount, currency=request.currency)

    def complete_3ds(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        # The shopper comes back to success_url/failure_url with ?cko-session-id=sid_…; the
        # payment is read by that session id (Checkout.com's "Get payment details").
        session = str(payload.get("cko-session-id") or payload.get("cko_session_id") or reference)
        payment = self._api().payments.get_payment_details(session)
        if str(_get(payment, "id", "")) != reference:
            raise InboundWebhookError("The 3DS session belongs to another payment.", code="invalid_payload")
        return self._result(payment, request_amount=request.amount, currency=request.currency)

    def _follow_up(self, call, *, gateway_reference, amount, currency, default_decline):
        try:
            answer = call()
        except CheckoutArgumentException as exc:
            return _misconfigured(exc)
        except AmountPrecisionError as exc:
            return Declined(
                decline_code="invalid_amount", network_code="", message=str(exc), code="invalid_amount"
            )
        except CheckoutApiException as exc:
            return self._declined_from_error(exc, default=default_decline)
        return Approved(
            gateway_reference=str(_get(answer, "action_id", "")),
            amount=amount,
            raw={**_as_dict(answer), "payment_id": gateway_reference},
        )

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        body = CaptureRequest()
        body.reference = idempotency_key
        if metadata:
            body.metadata = dict(metadata)
        return self._follow_up(
            lambda: self._api().payments.capture_payment(
                gateway_reference, _with_amount(body, amount, currency), idempotency_key=idempotency_key
            ),
            gateway_reference=gateway_reference, amount=amount, currency=currency,
            default_decline="capture_not_allowed",
        )  # fmt: skip

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        body = VoidRequest()
        body.reference = idempotency_key
        if metadata:
            body.metadata = dict(metadata)
        return self._follow_up(
            lambda: self._api().payments.void_payment(gateway_reference, body, idempotency_key=idempotency_key),
            gateway_reference=gateway_reference, amount=amount, currency=currency,
            default_decline="void_not_allowed",
        )  # fmt: skip

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        body = RefundRequest()
        body.reference = idempotency_key
        if metadata:
            body.metadata = dict(metadata)
        return self._follow_up(
            lambda: self._api().payments.refund_payment(
                gateway_reference, _with_amount(body, amount, currency), idempotency_key=idempotency_key
            ),
            gateway_reference=gateway_reference, amount=amount, currency=currency,
            default_decline="refund_not_allowed",
        )  # fmt: skip

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        """An authorization: the payment whose reference is our key ("Get payment lists"). A
        capture, void or refund: the action of the payment ``reference`` (``pay_…``) that
        carries our key as its reference ("Get payment actions"); a charge's capture/void key
        also finds its payment by the authorization's key when ``reference`` is not known."""
        if operation == "authorize":
            return self._lookup_payment(idempotency_key)
        payment_id = reference
        if not payment_id and operation in ("capture", "void"):
            # "<charge>:capture" → its payment was sent as "<charge>:authorize"
            payment = self._find_payment(idempotency_key.rsplit(":", 1)[0] + ":authorize")
            if payment is None:
                return None
            payment_id = str(_get(payment, "id"))
        if not payment_id:
            return lookup_not_supported(self.code, f"{operation} of an unknown payment")
        return self._lookup_action(operation, idempotency_key, payment_id)

    def _find_payment(self, reference: str):
        query = PaymentsQueryFilter()
        query.reference = reference
        query.limit = 10
        found = self._api().payments.get_payments_list(query)
        items = [p for p in (_get(found, "data") or []) if str(_get(p, "reference", "")) == reference]
        return items[0] if items else None

    def _lookup_action(self, operation: str, idempotency_key: str, payment_id: str):
        actions = _get(self._api().payments.get_payment_actions(payment_id), "items") or []
        for action in actions:
            if str(_get(action, "reference", "")) != idempotency_key:
                continue
            if str(_get(action, "type", "")).lower() != operation:
                # our key on an action of another kind: not the one asked for, and no guess
                return lookup_not_supported(
                    self.code, f"{operation} (the key names a {_get(action, 'type')})"
                )
            if _get(action, "approved") is False:
                decline_code, code = statuses.decline_for(str(_get(action, "response_code", "") or ""))
                return Declined(decline_code=decline_code, network_code="", code=code,
                                message=str(_get(action, "response_summary", "") or "Declined"),
                                gateway_reference=str(_get(action, "id", "")))  # fmt: skip
            # the amount is the one we asked for (an action carries no currency)
            return Approved(gateway_reference=str(_get(action, "id", "")), raw=_as_dict(action))
        return None

    def _lookup_payment(self, idempotency_key: str):
        payment = self._find_payment(idempotency_key)
        if payment is None:
            return None
        result = self._result(payment)
        if isinstance(result, RequiresAction):
            return Pending(
                gateway_reference=result.gateway_reference, message="Awaiting 3DS.", raw=result.raw
            )
        return result

    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        secret = str(self.credentials.get("webhook_secret") or "")
        if not secret:
            raise InboundWebhookError("The account has no webhook_secret.", code="signature_invalid")
        return webhooks.parse(body, self.lower_headers(headers), secret=secret, livemode=self.livemode)

    def fetch_settlement_report(self, *, date):
        return settlement.fetch_day(
            self._api().reports, date, entity_id=str(self.config.get("entity_id") or "")
        )

    def health(self) -> HealthStatus:
        def probe():
            query = PaymentsQueryFilter()
            query.reference = "clearhouse-health"
            query.limit = 1
            self._api().payments.get_payments_list(query)
            return "payments reachable"

        return self.timed_health(probe)
