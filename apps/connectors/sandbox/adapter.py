"""The sandbox acquirer: deterministic, complete, and controllable from tests.

Behaviour is chosen by the card number (see ``cards.py``). Faults are injected per
payment through metadata, so a test or a demo can drive them through the public API:

``metadata[sandbox_fault]`` = ``[<operation>:]<fault>`` where operation is one of
``authorize`` (the default), ``capture``, ``void``, ``refund``, and fault is

* ``timeout`` - the request never reached the acquirer (nothing happened there);
  ``RetryableError(code="timeout", outcome_unknown=True)``.
* ``timeout_after_processing`` - the acquirer processed the request but the answer
  was lost: the caller sees a timeout, the re-check janitor finds the real outcome.
* ``http_500`` / ``http_503`` - the acquirer answered 5xx before doing anything.

``metadata[sandbox_latency_ms]`` = ``"<n>"`` sleeps n ms (capped at 5 s) before answering.

Each sandbox connector account may also behave differently (its ``config``), so a merchant with
two sandbox accounts can see routing and failover work (``SANDBOX_BEHAVIOUR_KEYS``):

* ``decline_card_brands``: ``["visa", …]`` - this account declines cards of these brands
  (``decline_code``, default ``do_not_honor``, which the decline table retries elsewhere);
* ``decline_currencies``: ``["EUR", …]`` - the same for payments in these currencies;
* ``fault``: ``timeout`` / ``timeout_after_processing`` / ``http_500`` / ``http_503`` - every
  authorization on this account meets that fault (as ``metadata[sandbox_fault]`` would).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time

from apps.connectors.base import (
    Approved,
    ConnectorAdapter,
    Declined,
    HealthStatus,
    PaymentRequest,
    RetryableError,
    SettlementLine,
    result_from_dict,
    result_to_dict,
)
from apps.connectors.sandbox import settlement
from apps.connectors.sandbox.actions import QR_PAYMENT_METHOD_TYPES, SandboxActions
from apps.connectors.sandbox.cards import card_for_number
from apps.connectors.sandbox.followups import AUTHORIZATION_VALIDITY, SandboxFollowUps
from apps.connectors.sandbox.notifications import (
    DEFAULT_WEBHOOK_SECRET,
    DISPUTE_CARDS,
    SIGNATURE_HEADER,
    SIGNATURE_TOLERANCE_SECONDS,
    SandboxNotifications,
)
from apps.connectors.sandbox.store import DatabaseStore, SandboxRecord, SandboxStore
from apps.connectors.sandbox.tokens import _digest, _fault, _latency, _token
from apps.core.context import public_base_url

REDIRECT_PAYMENT_METHOD_TYPES = ("paypal", "ideal", "klarna", "sandbox_redirect")
WALLET_TOKEN_TYPES = ("apple_pay", "google_pay")
# What the simulated acquirer charges us (interchange + scheme), in its settlement file.
FEE_BASIS_POINTS, FEE_FIXED = settlement.FEE_BASIS_POINTS, settlement.FEE_FIXED

__all__ = [
    "AUTHORIZATION_VALIDITY",
    "DEFAULT_WEBHOOK_SECRET",
    "DISPUTE_CARDS",
    "SIGNATURE_HEADER",
    "SIGNATURE_TOLERANCE_SECONDS",
    "SandboxAdapter",
]


class SandboxAdapter(SandboxActions, SandboxNotifications, SandboxFollowUps, ConnectorAdapter):
    code = "sandbox"
    display_name = "Sandbox acquirer"
    supported_payment_method_types = (
        "card",
        *WALLET_TOKEN_TYPES,
        *REDIRECT_PAYMENT_METHOD_TYPES,
        *QR_PAYMENT_METHOD_TYPES,
    )

    capabilities = {
        "payment_method_types": sorted(supported_payment_method_types),
        "card_networks": ["amex", "diners", "discover", "jcb", "mastercard", "unionpay", "visa"],
        "currencies": None,
        "countries": None,
        "min_amount": None,
        "max_amount": None,
        "three_d_secure": True,
        "manual_capture": True,
        "partial_capture": True,
        "refunds": True,
        "lookup": True,
        "lookup_capture": True,
        "lookup_void": True,
        "lookup_refund": True,
        "payouts": True,
    }
    credential_fields = ("webhook_secret",)
    test_mode = True
    live_mode = False

    def __init__(
        self,
        *,
        credentials=None,
        livemode=False,
        config=None,
        store: SandboxStore | None = None,
        base_url=None,
    ):
        super().__init__(credentials=credentials, livemode=livemode, config=config)
        self.store = store or DatabaseStore()
        self._base_url = base_url

    # ------------------------------------------------------------------ helpers
    @property
    def base_url(self) -> str:
        if self._base_url is not None:
            return self._base_url.rstrip("/")
        # Read per call, not cached: it follows the request being served (apps.core.context).
        return public_base_url()

    @property
    def webhook_secret(self) -> str:
        secret = self.credentials.get("webhook_secret")
        if not secret:
            from django.conf import settings

            secret = getattr(settings, "SANDBOX_WEBHOOK_SECRET", "") or DEFAULT_WEBHOOK_SECRET
        return secret

    def _secret_token(self, prefix: str, key: str) -> str:
        # References that open the ACS / wallet pages must not be guessable from ids.
        mac = hmac.new(self.webhook_secret.encode(), key.encode(), hashlib.sha256).digest()
        return f"{prefix}_{base64.b32encode(mac).decode().lower().rstrip('=')[:28]}"

    @staticmethod
    def _fault_result(fault: str) -> RetryableError | None:
        if fault == "timeout":
            return RetryableError(
                code="timeout", message="The sandbox acquirer did not answer in time.", outcome_unknown=True
            )
        if fault in ("http_500", "http_503"):
            status = int(fault[-3:])
            return RetryableError(
                code="provider_unavailable" if status == 503 else "provider_error",
                message=f"The sandbox acquirer answered HTTP {status}.",
                http_status=status,
            )
        return None

    @staticmethod
    def _checks(card, request: PaymentRequest) -> dict[str, str]:
        billing = request.billing_details or {}
        address = billing.get("address") or {}
        return {
            # The vault checked the CVC at tokenization and never stores it: the issuer's
            # verdict on it travels with the card behaviour.
            "cvc_check": card.cvc_check,
            "address_line1_check": card.address_line1_check if address.get("line1") else "unchecked",
            "address_postal_code_check": card.address_postal_code_check
            if address.get("postal_code")
            else "unchecked",
        }

    @staticmethod
    def _risk(card, key: str) -> tuple[int, str]:
        if card.risk_score is not None:
            return card.risk_score, card.risk_level
        return _digest("risk", key)[0] % 30, card.risk_level

    def _card_outcome(self, request: PaymentRequest, reference: str, *, three_ds: dict | None):
        """The issuer's answer once authentication (if any) is settled."""
        card = card_for_number(request.card.number)
        checks = self._checks(card, request)
        score, level = self._risk(card, request.idempotency_key)
        today = dt.date.today()
        exp = (request.card.exp_year or 9999, request.card.exp_month or 12)
        expired = exp < (today.year, today.month)
        if expired and not card.declines:
            return Declined(
                code="expired_card",
                decline_code="expired_card",
                network_code="54",
                message="Your card has expired.",
                gateway_reference=reference,
                three_ds=three_ds,
                risk_score=score,
                risk_level=level,
                **checks,
            )
        if card.declines:
            if card.cvc_check == "fail":
                checks["cvc_check"] = "fail"
            return Declined(
                code=card.code or "card_declined",
                decline_code=card.decline_code,
                network_code=card.network_code,
                message=_DECLINE_MESSAGES.get(card.decline_code, "Your card was declined."),
                gateway_reference=reference,
                three_ds=three_ds,
                risk_score=score,
                risk_level=level,
                **checks,
            )
        return Approved(
            gateway_reference=reference,
            network_code="00",
            authorization_code=f"{int.from_bytes(_digest('auth', request.idempotency_key)[:4], 'big') % 1_000_000:06d}",
            amount=request.amount,
            three_ds=three_ds,
            risk_score=score,
            risk_level=level,
            network_transaction_id=_token("ntid", request.idempotency_key, length=15),
            raw={"behaviour": card.behaviour, "captured": request.capture, "funding": card.funding},
            **checks,
        )

    def _record(
        self, request: PaymentRequest, operation: str, reference: str, result, behaviour="", parent=""
    ):
        status = result.outcome
        stored = self.store.add(
            SandboxRecord(
                idempotency_key=request.idempotency_key if isinstance(request, PaymentRequest) else request,
                operation=operation,
                reference=reference,
                status=status,
                amount=request.amount,
                currency=request.currency,
                parent_reference=parent,
                behaviour=behaviour,
                result=result_to_dict(result),
            )
        )
        if (
            operation == "authorize"
            and stored.status == "approved"
            and stored.result.get("raw", {}).get("captured")
        ):
            self._maybe_dispute(stored)
        return result_from_dict(stored.result)

    # ------------------------------------------------------------------ payments
    def _account_decline(self, request: PaymentRequest):
        """This account's configured refusal of the payment (see the module docstring), or None."""
        brands = {str(b).lower() for b in self.config.get("decline_card_brands") or ()}
        currencies = {str(c).upper() for c in self.config.get("decline_currencies") or ()}
        brand = (getattr(request.card, "brand", "") or "").lower() if request.card is not None else ""
        if not ((brand and brand in brands) or request.currency.upper() in currencies):
            return None
        code = str(self.config.get("decline_code") or "do_not_honor")[:40]
        reference = _token("sbxch", request.idempotency_key)
        declined = Declined(
            code="card_declined",
            decline_code=code,
            network_code="05",
            message=_DECLINE_MESSAGES.get(code, "Your card was declined."),
            gateway_reference=reference,
        )
        return self._record(request, "authorize", reference, declined, f"account:{code}")

    def authorize(self, request: PaymentRequest):
        _latency(request.metadata)
        fault = _fault(request.metadata, "authorize") or str(self.config.get("fault") or "")
        early = self._fault_result(fault)
        if early:
            return early
        declined = self._account_decline(request)
        if declined is not None:
            if fault == "timeout_after_processing":
                return RetryableError(
                    code="timeout",
                    message="The sandbox acquirer did not answer in time.",
                    outcome_unknown=True,
                )
            return declined
        # A retry under the same key gets the first answer: the store keeps the first writer's.
        if request.payment_method_type in WALLET_TOKEN_TYPES:
            # Device wallets carry a network token already authenticated on the device.
            reference = _token("sbxch", request.idempotency_key)
            approved = Approved(
                gateway_reference=reference,
                amount=request.amount,
                authorization_code=f"{int.from_bytes(_digest('auth', request.idempotency_key)[:4], 'big') % 1_000_000:06d}",
                risk_score=_digest("risk", request.idempotency_key)[0] % 30,
                risk_level="normal",
                three_ds={"authenticated": True, "result": "wallet_authenticated"},
                raw={"payment_method_type": request.payment_method_type, "captured": request.capture},
            )
            result = self._record(request, "authorize", reference, approved, request.payment_method_type)
        elif request.payment_method_type != "card":
            result = self.start_redirect(request)
        else:
            reference = _token("sbxch", request.idempotency_key)
            card = card_for_number(request.card.number)
            if self._needs_3ds(card, request):
                if request.off_session:
                    result = Declined(
                        code="authentication_required",
                        decline_code="authentication_required",
                        network_code="1A",
                        message="This payment requires authentication; it cannot be made off session.",
                        gateway_reference=reference,
                    )
                    result = self._record(request, "authorize", reference, result, card.behaviour)
                else:
                    result = self.start_3ds(request)
            else:
                result = self._record(
                    request,
                    "authorize",
                    reference,
                    self._card_outcome(request, reference, three_ds=None),
                    card.behaviour,
                )
        if fault == "timeout_after_processing":
            return RetryableError(
                code="timeout", message="The sandbox acquirer did not answer in time.", outcome_unknown=True
            )
        return result

    @staticmethod
    def _needs_3ds(card, request: PaymentRequest) -> bool:
        if card.three_ds == "required":
            return True
        if card.three_ds == "required_on_session":
            return not request.off_session
        return bool(request.three_ds == "always" and card.three_ds == "supported")

    # ------------------------------------------------------------------ reports / health
    def fetch_settlement_report(self, *, date: dt.date) -> list[SettlementLine]:
        """The operation lines of ``date``'s settlement file (``settlement.py``: faults included)."""
        return [
            SettlementLine(
                gateway_reference=line.psp_reference,
                type="dispute" if line.record_type == "chargeback" else line.record_type,
                amount=line.gross,
                currency=line.currency,
                fee=line.fee,
                settled_on=line.settled_on,
                reference=line.merchant_reference,
            )
            for line in settlement.settlement_lines(self.store, date)
        ]

    def settlement_file(self, *, date: dt.date) -> tuple[str, bytes, str]:
        """``date``'s settlement file as the acquirer sends it: (filename, content, format)."""
        return (
            f"sandbox-settlement-{date:%Y%m%d}.csv",
            settlement.settlement_file(self.store, date),
            "sandbox_csv",
        )

    def health(self) -> HealthStatus:
        started = time.monotonic()
        try:
            self.store.get("__health__")
        except Exception as exc:
            return HealthStatus(
                ok=False, latency_ms=int((time.monotonic() - started) * 1000), detail=type(exc).__name__
            )
        return HealthStatus(ok=True, latency_ms=int((time.monotonic() - started) * 1000), detail="sandbox")


_DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined (reported lost).",
    "stolen_card": "Your card was declined (reported stolen).",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "card_velocity_exceeded": "Your card has exceeded its velocity limit.",
    "fraudulent": "Your card was declined.",
    "do_not_honor": "Your card was declined.",
}
