"""Verifying a payment method: micro-deposits for bank accounts, a zero-amount authorization
(through `apps.connectors.gateway.verify`) for cards.

The provider call happens with no transaction or row lock held; the result is recorded
afterwards under a fresh lock. A failed attempt is committed before its error is raised, so it
counts.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import PaymentRequest
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.ids import generate_id
from apps.vault.errors import (
    CardVerificationDeclined,
    CardVerificationNeedsAuthentication,
    CardVerificationUnavailable,
    MicrodepositAmountsInvalid,
    MicrodepositAmountsMismatch,
    MicrodepositAttemptsExceeded,
    MicrodepositsNotSent,
    ParameterUnknown,
    PaymentMethodVerifiedByWallet,
)
from apps.vault.models import MicroDepositVerification, PaymentMethod
from apps.vault.payloads import payment_method_to_dict
from apps.webhooks.services import event_record

from .common import payment_method_lock
from .detokenize import vault_detokenize

TEST_MODE_MICRODEPOSITS = (32, 45)  # as Stripe: fixed amounts in test mode


def payment_method_verify(*, payment_method: PaymentMethod, actor: Actor, amounts: list[int] | None = None):
    if payment_method.deleted_at is not None:
        raise NotFoundError("payment_method", payment_method.public_id, param="payment_method")
    if payment_method.type == PaymentMethod.Type.CARD:
        if amounts is not None:
            raise ParameterUnknown("amounts are for bank account micro-deposits only.", param="amounts")
        return payment_method_verify_card(payment_method=payment_method, actor=actor)
    if payment_method.type in PaymentMethod.BANK_TYPES:
        return payment_method_verify_microdeposits(
            payment_method=payment_method, actor=actor, amounts=amounts
        )
    raise PaymentMethodVerifiedByWallet(payment_method_type=payment_method.type)


# --- micro-deposits ---------------------------------------------------------------------------------


def _microdeposit_amounts(livemode: bool) -> tuple[int, int]:
    if not livemode:
        return TEST_MODE_MICRODEPOSITS
    rng = random.SystemRandom()
    first = rng.randint(1, 99)
    second = rng.choice([n for n in range(1, 100) if n != first])
    return first, second


def _verification_updated(pm: PaymentMethod, *, previous_status: str, data: dict | None = None) -> None:
    event_record(
        merchant=pm.merchant,
        livemode=pm.livemode,
        type="payment_method.updated",
        data=data if data is not None else payment_method_to_dict(pm),
        previous_attributes={"verification": {"status": previous_status}},
    )


def _microdeposits_send(pm: PaymentMethod, *, actor: Actor) -> PaymentMethod:
    first, second = _microdeposit_amounts(pm.livemode)
    now = timezone.now()
    MicroDepositVerification.objects.create(
        payment_method=pm,
        amount_1=first,
        amount_2=second,
        currency="EUR" if pm.type == PaymentMethod.Type.SEPA_DEBIT else "USD",
        sent_at=now,
        arrival_date=(now + timedelta(days=0 if not pm.livemode else 2)).date(),
    )
    pm.verification_status = PaymentMethod.VerificationStatus.PENDING
    pm.verification_detail = {"method": "microdeposits"}
    pm.save(update_fields=["verification_status", "verification_detail", "updated_at"])
    audit_record(actor=actor, action="payment_method.microdeposits_sent", merchant=pm.merchant, obj=pm)
    _verification_updated(pm, previous_status="unverified")
    return pm


def _microdeposits_succeeded(
    pm: PaymentMethod, deposits: MicroDepositVerification, *, actor: Actor
) -> PaymentMethod:
    deposits.status = MicroDepositVerification.Status.SUCCEEDED
    deposits.completed_at = timezone.now()
    deposits.attempts += 1
    deposits.save(update_fields=["status", "completed_at", "attempts", "updated_at"])
    pm.verification_status = PaymentMethod.VerificationStatus.VERIFIED
    pm.verified_at = deposits.completed_at
    pm.save(update_fields=["verification_status", "verified_at", "updated_at"])
    audit_record(
        actor=actor,
        action="payment_method.verified",
        merchant=pm.merchant,
        obj=pm,
        after={"method": "microdeposits"},
    )
    _verification_updated(pm, previous_status="pending")
    return pm


def _microdeposits_failed(
    pm: PaymentMethod, deposits: MicroDepositVerification, *, actor: Actor
) -> ApplicationError:
    """Counts a wrong answer (the third locks the verification) and returns the error to raise
    once that is committed."""
    deposits.attempts += 1
    remaining = MicroDepositVerification.MAX_ATTEMPTS - deposits.attempts
    failure: ApplicationError
    if remaining <= 0:
        deposits.status = MicroDepositVerification.Status.LOCKED
        deposits.completed_at = timezone.now()
        pm.verification_status = PaymentMethod.VerificationStatus.LOCKED
        pm.save(update_fields=["verification_status", "updated_at"])
        failure = MicrodepositAttemptsExceeded()
        audit_record(actor=actor, action="payment_method.verification_locked", merchant=pm.merchant, obj=pm)
        _verification_updated(pm, previous_status="pending")
    else:
        failure = MicrodepositAmountsMismatch(remaining=remaining)
    deposits.save(update_fields=["attempts", "status", "completed_at", "updated_at"])
    return failure


def payment_method_verify_microdeposits(
    *, payment_method: PaymentMethod, actor: Actor, amounts: list[int] | None = None
) -> PaymentMethod:
    """First call (no amounts) sends two micro-deposits; the next call checks the two amounts.
    Three wrong answers lock the verification for good."""
    with transaction.atomic():
        pm = payment_method_lock(payment_method)
        deposits = MicroDepositVerification.objects.select_for_update().filter(payment_method=pm).first()
        if pm.verification_status == PaymentMethod.VerificationStatus.VERIFIED:
            return pm
        if deposits is None:
            if amounts is not None:
                raise MicrodepositsNotSent()
            return _microdeposits_send(pm, actor=actor)
        if deposits.status == MicroDepositVerification.Status.LOCKED:
            raise MicrodepositAttemptsExceeded()
        if amounts is None:
            return pm  # deposits already sent; nothing more to do until the amounts arrive
        if len(amounts) != 2:
            raise MicrodepositAmountsInvalid()
        if sorted(amounts) == sorted([deposits.amount_1, deposits.amount_2]):
            return _microdeposits_succeeded(pm, deposits, actor=actor)
        failure = _microdeposits_failed(pm, deposits, actor=actor)
    # Raised after commit: the failed attempt must be counted, not rolled back.
    raise failure


# --- cards: zero-amount authorization -----------------------------------------------------------


def _card_verification_request(pm: PaymentMethod, *, actor: Actor) -> PaymentRequest:
    # Without the held CVC: the sandbox acquirer checks the card here, not the payment's acquirer
    # the CVC is held for (services/cvc.py); the hold stays for the first authorization.
    card = vault_detokenize(payment_method=pm, purpose="card_verification", actor=actor, with_cvc=False)
    return PaymentRequest(
        idempotency_key=generate_id("vfy"),
        amount=0,
        currency=pm.merchant.default_currency,
        payment_method_type="card",
        card=card,
        capture=False,
        three_ds="never",
        billing_details=pm.billing_details or None,
        description="card verification",
        reference=pm.public_id,
        merchant_reference=pm.merchant.public_id,
    )


def _card_verification_detail(result, outcome: str) -> dict:
    detail = {
        "method": "zero_amount_authorization",
        "outcome": outcome,
        "gateway_reference": getattr(result, "gateway_reference", "") or "",
        "network_code": getattr(result, "network_code", "") or "",
        "cvc_check": getattr(result, "cvc_check", None),
        "address_line1_check": getattr(result, "address_line1_check", None),
        "address_postal_code_check": getattr(result, "address_postal_code_check", None),
    }
    if outcome == "declined":
        detail["decline_code"] = result.decline_code
        detail["code"] = result.code
    elif outcome != "approved":
        detail["message"] = getattr(result, "message", "") or ""
    return detail


def _card_verification_failure(result, outcome: str, data: dict) -> ApplicationError | None:
    """The error a non-approved outcome answers (402 card_error, with the payment method)."""
    extra = {"payment_method": data}
    if outcome == "approved":
        return None
    if outcome == "declined":
        return CardVerificationDeclined(
            result.message or None, code=result.code or None, decline_code=result.decline_code, extra=extra
        )
    if outcome == "requires_action":
        return CardVerificationNeedsAuthentication(decline_code="authentication_required", extra=extra)
    return CardVerificationUnavailable(extra=extra)


def payment_method_verify_card(*, payment_method: PaymentMethod, actor: Actor) -> PaymentMethod:
    """Zero-amount authorization through the sandbox connector. No lock or transaction is held
    while the connector answers; the result is recorded afterwards under a fresh lock."""
    request = _card_verification_request(payment_method, actor=actor)
    # Verification is not routed to a merchant connector: the sandbox acquirer answers, in both modes.
    result = gateway.verify(request=request)
    outcome = getattr(result, "outcome", "error")
    with transaction.atomic():
        pm = payment_method_lock(payment_method)
        previous_status = pm.verification_status
        detail = _card_verification_detail(result, outcome)
        if outcome == "approved":
            pm.verification_status = PaymentMethod.VerificationStatus.VERIFIED
            pm.verified_at = timezone.now()
        elif outcome == "declined":
            pm.verification_status = PaymentMethod.VerificationStatus.FAILED
        pm.verification_detail = detail
        pm.save(update_fields=["verification_status", "verified_at", "verification_detail", "updated_at"])
        data = payment_method_to_dict(pm)
        audit_record(
            actor=actor,
            action="payment_method.verification_" + ("succeeded" if outcome == "approved" else "failed"),
            merchant=pm.merchant,
            obj=pm,
            after={k: v for k, v in detail.items() if v not in (None, "")},
        )
        _verification_updated(pm, previous_status=previous_status, data=data)
        failure = _card_verification_failure(result, outcome, data)
    if failure is not None:
        raise failure
    return pm
