"""Checks a higher app (risk) plugs into the payment path, without intents importing it.

Registered in the higher app's ``AppConfig.ready()``:

- ``register_pre_authorization(check)``: ``check(PaymentContext) -> Verdict | None``, called in
  confirm's step 1 (intent locked, attempt just created, before any provider call). The check
  stores its own decision record in that transaction, through
  ``apps.core.sql.insert_now_or_later``: on create+confirm's one-statement path the attempt is
  not written yet (``charge_pk`` is None) and the record joins that statement. The verdict's action: ``allow``,
  ``block`` (no provider call; declined ``card_declined``/``fraudulent``), ``request_3ds``
  (the attempt asks for 3D Secure) or ``review`` (``hold``: authorize only, capture later).
- ``register_after_authorization(fn)``: ``fn(context, verdict, intent_or_None)`` once step 3
  recorded the answer (``None``: the attempt failed). Opens reviews, counts declines.
- ``register_capture_guard(fn)``: ``fn(intent) -> ApplicationError | None`` before a capture.
- ``register_charge_payload(fn)``: ``fn(charge, body)`` completes a charge's public shape
  (its ``outcome`` and ``risk``);
- ``register_charge_prefetch(fn)``: ``fn(charges)`` loads what those payloads read for a whole
  page of charges at once (a list answers in one query per owner, not one per charge).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from apps.connectors.base import Declined, PaymentRequest
from apps.core.context import get_client_ip


@dataclass(frozen=True)
class PaymentContext:
    """Plain values about one attempt: what a risk check may read."""

    merchant_id: int
    livemode: bool
    amount: int
    currency: str
    payment_method_type: str
    capture_method: str
    payment_intent: str = ""
    payment_intent_pk: int | None = None
    charge: str = ""
    charge_pk: int | None = None
    off_session: bool = False
    three_d_secure_requested: bool = False
    card_brand: str | None = None
    card_funding: str | None = None
    card_country: str | None = None
    card_fingerprint: str | None = None
    card_bin: str | None = None
    billing_country: str | None = None
    email: str | None = None
    customer: str | None = None
    customer_created_at: datetime | None = None
    ip_address: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    action: str  # allow | block | request_3ds | review
    hold: bool = False  # review: authorize only, whatever the capture method
    decision: str = ""  # the stored decision's id (rdec_…)
    outcome: dict = field(default_factory=dict)  # the charge's Stripe `outcome` fields
    context: PaymentContext | None = None
    private: dict = field(default_factory=dict)  # the check's own data, opaque to intents


_PRE: list[Callable] = []
_AFTER: list[Callable] = []
_CAPTURE: list[Callable] = []
_PAYLOAD: list[Callable] = []


def register_pre_authorization(check: Callable[[PaymentContext], Verdict | None]) -> None:
    if check not in _PRE:
        _PRE.append(check)


def register_after_authorization(fn: Callable) -> None:
    if fn not in _AFTER:
        _AFTER.append(fn)


def register_capture_guard(fn: Callable) -> None:
    if fn not in _CAPTURE:
        _CAPTURE.append(fn)


_PREFETCH: list[Callable] = []


def register_charge_prefetch(fn: Callable) -> None:
    if fn not in _PREFETCH:
        _PREFETCH.append(fn)


def prefetch_charges(charges):
    """For a page of charges about to be serialized (``stripe_list(prepare=...)``)."""
    charges = list(charges)
    for fn in _PREFETCH:
        fn(charges)
    return charges


def register_charge_payload(fn: Callable) -> None:
    if fn not in _PAYLOAD:
        _PAYLOAD.append(fn)


def payment_context(intent, charge) -> PaymentContext:
    pm = charge.payment_method if charge.payment_method_id else None
    customer = intent.customer if intent.customer_id else None
    billing = (getattr(pm, "billing_details", None) or {}) if pm is not None else {}
    address = billing.get("address") or {} if isinstance(billing, dict) else {}
    email = (
        intent.receipt_email or (customer.email if customer is not None else "") or billing.get("email") or ""
    )
    return PaymentContext(
        merchant_id=intent.merchant_id,
        livemode=intent.livemode,
        amount=charge.amount,
        currency=charge.currency,
        payment_method_type=charge.payment_method_type,
        capture_method=intent.capture_method,
        payment_intent=intent.public_id,
        payment_intent_pk=intent.pk,
        charge=charge.public_id,
        charge_pk=charge.pk,
        off_session=bool(intent.off_session),
        three_d_secure_requested=intent.request_three_d_secure in ("any", "challenge"),
        card_brand=(getattr(pm, "card_brand", "") or None) if pm is not None else None,
        card_funding=(getattr(pm, "card_funding", "") or None) if pm is not None else None,
        card_country=(getattr(pm, "card_country", "") or None) if pm is not None else None,
        card_fingerprint=(getattr(pm, "fingerprint", "") or None) if pm is not None else None,
        billing_country=address.get("country") or None,
        email=email or None,
        customer=customer.public_id if customer is not None else None,
        customer_created_at=customer.created_at if customer is not None else None,
        ip_address=get_client_ip() or None,
        metadata=dict(intent.metadata or {}),
    )


def pre_authorization(intent, charge) -> Verdict | None:
    """Step 1: the registered checks' verdict for this attempt, kept on the charge object for
    steps 2 and 3 of the same request. The first check with a verdict decides."""
    if not _PRE:
        return None
    context = payment_context(intent, charge)
    for check in _PRE:
        verdict = check(context)
        if verdict is not None:
            charge.pre_authorization_verdict = replace(verdict, context=context)
            return verdict
    return None


def attempt_saved(charge) -> None:
    """After the attempt's rows were written in one statement with the checks' records (the
    check ran on the unsaved charge): the verdict's context gets the new primary keys."""
    verdict = verdict_of(charge)
    if verdict is not None and verdict.context is not None and verdict.context.charge_pk is None:
        context = replace(verdict.context, charge_pk=charge.pk, payment_intent_pk=charge.payment_intent_id)
        charge.pre_authorization_verdict = replace(verdict, context=context)


def verdict_of(charge) -> Verdict | None:
    return getattr(charge, "pre_authorization_verdict", None)


def blocked(charge) -> bool:
    verdict = verdict_of(charge)
    return verdict is not None and verdict.action == "block"


def apply_verdict(request: PaymentRequest, verdict: Verdict | None) -> PaymentRequest:
    """The provider request as the verdict wants it: 3D Secure asked for, or authorize only."""
    if verdict is None:
        return request
    if verdict.action == "request_3ds":
        request = replace(request, three_ds="always")
    if verdict.action == "review" and verdict.hold:
        request = replace(request, capture=False)
    return request


def blocked_result(verdict: Verdict) -> Declined:
    """The answer recorded for a blocked attempt: never sent to the network."""
    return Declined(
        code="card_declined",
        decline_code="fraudulent",
        network_code="",
        message="Your card was declined.",
        raw={"blocked_by": "risk", "decision": verdict.decision},
    )


def after_authorization(charge, intent) -> None:
    verdict = verdict_of(charge)
    if verdict is None:
        return
    for fn in _AFTER:
        fn(verdict.context, verdict, intent)


def capture_guard(intent) -> None:
    for fn in _CAPTURE:
        error = fn(intent)
        if error is not None:
            raise error


def extend_charge_payload(charge, body: dict) -> dict:
    for fn in _PAYLOAD:
        fn(charge, body)
    return body
