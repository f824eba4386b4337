"""``POST /v1/risk/score``: a payment context scored without paying (nothing counted, no
charge); the decision is stored with the version it used, like a payment's."""

from __future__ import annotations

import time

from apps.intents.hooks import PaymentContext

from ..models import RiskDecision
from .engine import decision_record, evaluate


def _payment_method(merchant, livemode: bool, id: str):
    from apps.vault.selectors import payment_method_for_payment

    return payment_method_for_payment(merchant=merchant, livemode=livemode, id=id)  # 404 naming the param


def _customer(merchant, livemode: bool, id: str):
    from apps.vault.selectors import customer_get

    return customer_get(merchant=merchant, livemode=livemode, id=id)


def risk_score(*, merchant, livemode: bool, data: dict) -> RiskDecision:
    started = time.perf_counter()
    pm = _payment_method(merchant, livemode, data["payment_method"]) if data.get("payment_method") else None
    customer = _customer(merchant, livemode, data["customer"]) if data.get("customer") else None
    context = PaymentContext(
        merchant_id=merchant.pk,
        livemode=livemode,
        amount=data["amount"],
        currency=data["currency"].upper(),
        payment_method_type=(getattr(pm, "type", None) or data.get("payment_method_type") or "card"),
        capture_method="automatic",
        card_brand=(getattr(pm, "card_brand", "") or None) if pm else None,
        card_funding=(getattr(pm, "card_funding", "") or None) if pm else None,
        card_country=(getattr(pm, "card_country", "") or None) if pm else None,
        card_fingerprint=(getattr(pm, "fingerprint", "") or None) if pm else None,
        billing_country=(data.get("billing_country") or "").upper() or None,
        email=data.get("email") or (customer.email if customer else None) or None,
        customer=customer.public_id if customer else None,
        customer_created_at=customer.created_at if customer else None,
        ip_address=data.get("ip_address") or None,
        metadata=data.get("metadata") or {},
    )
    extra = {"ip_country": (data.get("ip_country") or "").upper() or None}
    evaluation = evaluate(context, count_attempt=False, extra=extra)
    return decision_record(evaluation, context, started=started)
