"""Row locks on payment intents and charges, in one order for every app (Saleor's lock_objects).

The order is: the payment intent, then its charge, then whatever hangs off the charge (a
refund). Every writer that needs more than one of these rows takes them in that order, so two
writers never wait on each other in opposite directions. Call inside ``transaction.atomic``.
"""

from __future__ import annotations

from .models import Charge, PaymentIntent
from .sql import attempt_lock

INTENT_RELATED = ("merchant", "customer", "payment_method")


def payment_intent_lock(intent_id: int, known: PaymentIntent | None = None) -> PaymentIntent:
    """Locks and re-reads the intent. With `known` (the same intent read earlier in this request),
    only the intent row is read; its merchant, customer and payment method objects are reused
    when the locked row still points at the same rows."""
    if known is None:
        return (
            PaymentIntent.objects.select_for_update(of=("self",))
            .select_related(*INTENT_RELATED)
            .get(pk=intent_id)
        )
    intent = PaymentIntent.objects.select_for_update().get(pk=intent_id)
    _reuse_related(intent, known, INTENT_RELATED)
    return intent


def charge_lock(charge_id: int, intent: PaymentIntent | None = None, known: Charge | None = None) -> Charge:
    """Locks and re-reads the charge (lock its intent first). `intent`: the locked intent, set on
    the charge with its merchant; `known`: the same charge read earlier in this request, whose
    connector and payment method objects are reused."""
    if known is None:
        charge = Charge.objects.select_for_update(of=("self",)).select_related("connector").get(pk=charge_id)
    else:
        charge = Charge.objects.select_for_update().get(pk=charge_id)
        _reuse_related(charge, known, ("connector", "payment_method"))
    if intent is not None:
        charge.payment_intent = intent
        if charge.merchant_id == intent.merchant_id:
            charge.merchant = intent.merchant  # already loaded with the intent
    return charge


def _reuse_related(obj, known, names) -> None:
    cache = known._state.fields_cache
    for name in names:
        related = cache.get(name)
        field_id = getattr(obj, f"{name}_id")
        if related is not None and related.pk == field_id:
            setattr(obj, name, related)


def attempt_lock_known(
    intent_id: int, charge_id: int, known_intent: PaymentIntent, known_charge: Charge, *, debt_of=None
) -> tuple[PaymentIntent, Charge, int]:
    """`payment_intent_lock(known=…)` then `charge_lock(known=…)` as one statement (the intents'
    hot path, ``sql.attempt_lock``: intent first, then its charge), with the ledger debt of
    `debt_of` read in it. The related objects of step 1 are reused as those locks do."""
    intent, charge, debt = attempt_lock(intent_id, charge_id, debt_of=debt_of)
    _reuse_related(intent, known_intent, INTENT_RELATED)
    _reuse_related(charge, known_charge, ("connector", "payment_method"))
    charge.payment_intent = intent
    if charge.merchant_id == intent.merchant_id:
        charge.merchant = intent.merchant
    return intent, charge, debt
