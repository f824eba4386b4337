"""The sandbox acquirer's customer actions: the 3D Secure challenge (its simulated ACS) and the
wallet/bank redirect or QR code, each started by an authorization and completed by the customer's
answer, replay-safe on our idempotency key (the first answer stands)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any

from apps.connectors.base import (
    Approved,
    Declined,
    PaymentRequest,
    RequiresAction,
    result_from_dict,
    result_to_dict,
)
from apps.connectors.sandbox.cards import card_for_number
from apps.connectors.sandbox.tokens import _digest, _token

QR_PAYMENT_METHOD_TYPES = ("wechat_pay", "promptpay", "paynow", "sandbox_qr")


class SandboxActions:
    """Mixed into ``SandboxAdapter``: it provides ``store``, ``base_url``, ``_secret_token``,
    ``_record``, ``_checks`` and ``_card_outcome``."""

    # ------------------------------------------------------------------ customer actions
    def start_3ds(self, request: PaymentRequest):
        reference = _token("sbxch", request.idempotency_key)
        session = self._secret_token("acs", request.idempotency_key)
        card = card_for_number(request.card.number)
        action = RequiresAction(
            kind="redirect_to_url",
            reference=session,
            url=f"{self.base_url}/sandbox/acs/{session}",
            expires_at=int(time.time()) + 3600,
            three_ds=True,
            gateway_reference=reference,
            raw={"three_ds_version": "2.2.0", "behaviour": card.behaviour},
        )
        return self._record(request, "authorize", reference, action, card.behaviour)

    def _session(self, request: PaymentRequest, *, prefix: str, reference: str, what: str):
        """(the pending authorization's record, None) for a customer's answer to the session
        ``reference`` (``prefix``: acs | wal), or (None, the result to answer): unknown or expired
        session, or a replay, where the first answer stands."""
        record = self.store.get(request.idempotency_key)
        if record is None or not hmac.compare_digest(
            reference, self._secret_token(prefix, request.idempotency_key)
        ):
            return None, Declined(
                code="payment_intent_authentication_failure",
                decline_code="",
                network_code="",
                message=f"Unknown or expired {what} session.",
            )
        if record.status != "requires_action":
            return None, result_from_dict(record.result)
        return record, None

    def complete_3ds(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        record, answered = self._session(request, prefix="acs", reference=reference, what="3D Secure")
        if answered is not None:
            return answered
        outcome = str(payload.get("result", "")).lower()
        if outcome in ("authenticated", "approved", "succeeded", "success"):
            three_ds = {"authenticated": True, "result": "authenticated", "version": "2.2.0", "eci": "05"}
            card = card_for_number(request.card.number)
            if card.decline_after_authentication:
                result = Declined(
                    code=card.code,
                    decline_code=card.decline_code,
                    network_code=card.network_code,
                    message="Your card was declined.",
                    gateway_reference=record.reference,
                    three_ds=three_ds,
                    **self._checks(card, request),
                )
            else:
                result = self._card_outcome(request, record.reference, three_ds=three_ds)
        else:
            result = Declined(
                code="payment_intent_authentication_failure",
                decline_code="authentication_failed",
                network_code="",
                message="The customer failed the 3D Secure challenge."
                if outcome != "abandoned"
                else "The customer abandoned the 3D Secure challenge.",
                gateway_reference=record.reference,
                three_ds={"authenticated": False, "result": outcome or "failed", "version": "2.2.0"},
            )
        self.store.update(request.idempotency_key, status=result.outcome, result=result_to_dict(result))
        return result

    def start_redirect(self, request: PaymentRequest):
        reference = _token("sbxwal", request.idempotency_key)
        session = self._secret_token("wal", request.idempotency_key)
        url = f"{self.base_url}/sandbox/wallet/{session}"
        if request.payment_method_type in QR_PAYMENT_METHOD_TYPES:
            action = RequiresAction(
                kind="display_qr_code",
                reference=session,
                url=url,
                qr_data=url,
                qr_image_url=f"{url}/qr.svg",
                expires_at=int(time.time()) + 900,
                gateway_reference=reference,
            )
        else:
            action = RequiresAction(
                kind="redirect_to_url",
                reference=session,
                url=url,
                expires_at=int(time.time()) + 3600,
                gateway_reference=reference,
            )
        return self._record(request, "authorize", reference, action, request.payment_method_type)

    def confirm_redirect(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        record, answered = self._session(request, prefix="wal", reference=reference, what="wallet")
        if answered is not None:
            return answered
        outcome = str(payload.get("result", "")).lower()
        if outcome in ("approved", "succeeded", "authorized"):
            result = Approved(
                gateway_reference=record.reference,
                amount=request.amount,
                authorization_code=f"{int.from_bytes(_digest('wal', request.idempotency_key)[:4], 'big') % 1_000_000:06d}",
                risk_score=_digest("risk", request.idempotency_key)[0] % 30,
                risk_level="normal",
                raw={"payment_method_type": request.payment_method_type, "captured": request.capture},
            )
        else:
            result = Declined(
                code="payment_intent_authentication_failure",
                decline_code="",
                network_code="",
                message="The customer abandoned the payment."
                if outcome in ("abandoned", "canceled", "cancelled")
                else "The customer declined the payment.",
                gateway_reference=record.reference,
            )
        self.store.update(request.idempotency_key, status=result.outcome, result=result_to_dict(result))
        return result
