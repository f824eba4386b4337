"""Creating and updating payment intents (create may confirm in the same call)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.audit.services import Actor, audit_record
from apps.core.ids import generate_id
from apps.core.sql import one_statement_transaction
from apps.merchants.selectors import merchant_settings_get
from apps.routing.services import route_payment

from ..errors import PaymentMethodDataIncompatible, PaymentMethodRequired, ReturnUrlRequired
from ..hooks import attempt_saved
from ..locks import payment_intent_lock
from ..models import PaymentIntent
from ..payloads import payment_intent_to_dict
from ..transitions import unexpected_state
from .common import events_together, intent_event, merchant_settings_of
from .confirm import charge_build, charge_opened, payment_description, run_authorization
from .payment_methods import (
    check_payment_method_fits,
    customer_find,
    payment_method_find,
    validate_intent_amount,
    validate_split,
    validate_types,
)
from .writes import writes_for_attempt

UPDATABLE_BEFORE_CONFIRMATION = {
    PaymentIntent.Status.REQUIRES_PAYMENT_METHOD,
    PaymentIntent.Status.REQUIRES_CONFIRMATION,
}
# What payment_intent_update may change after confirmation, as Stripe.
UPDATABLE_ALWAYS = {"metadata", "description", "receipt_email"}


def _create_payment_method(
    *, merchant, livemode: bool, merchant_settings, customer, payment_method, payment_method_data,
    payment_method_types, confirm: bool, return_url: str,
):  # fmt: skip
    """The customer, payment method, redirect type and payment method types of a new intent,
    checked against each other and against what `confirm` needs."""
    customer_obj = customer_find(merchant=merchant, livemode=livemode, id=customer) if customer else None
    pm = (
        payment_method_find(merchant=merchant, livemode=livemode, id=payment_method)
        if payment_method
        else None
    )
    pmd_type = (payment_method_data or {}).get("type") or ""
    if payment_method_types:
        types = validate_types(payment_method_types, merchant_settings)
    else:
        types = validate_types([getattr(pm, "type", None) or pmd_type or "card"], merchant_settings)
    if pm is not None:
        check_payment_method_fits(pm, types=types, customer=customer_obj)
    if pmd_type and pmd_type not in types:
        raise PaymentMethodDataIncompatible(pm_type=pmd_type)
    if confirm and pm is None and not pmd_type:
        raise PaymentMethodRequired()
    if confirm and pmd_type and not return_url:
        raise ReturnUrlRequired()
    return customer_obj, pm, pmd_type, types


@events_together
def payment_intent_create(
    *,
    merchant,
    livemode: bool,
    actor: Actor,
    amount: int,
    currency: str,
    customer: str | None = None,
    payment_method: str | None = None,
    payment_method_data: dict | None = None,
    payment_method_types: list[str] | None = None,
    capture_method: str | None = None,
    confirm: bool = False,
    off_session: bool = False,
    description: str = "",
    statement_descriptor: str = "",
    metadata: dict | None = None,
    return_url: str = "",
    setup_future_usage: str = "",
    receipt_email: str = "",
    request_three_d_secure: str = "",
    split: list[dict] | None = None,
    routing: dict | None = None,
) -> PaymentIntent:
    currency = currency.upper()
    merchant_settings = merchant_settings_of(merchant)
    validate_intent_amount(
        amount=amount, currency=currency, merchant=merchant, merchant_settings=merchant_settings
    )
    customer_obj, pm, pmd_type, types = _create_payment_method(
        merchant=merchant, livemode=livemode, merchant_settings=merchant_settings, customer=customer,
        payment_method=payment_method, payment_method_data=payment_method_data,
        payment_method_types=payment_method_types, confirm=confirm, return_url=return_url,
    )  # fmt: skip
    clean_split = validate_split(split)
    metadata = metadata or {}
    capture_method = capture_method or merchant_settings.default_capture_method or "automatic"
    public_id = generate_id(PaymentIntent.ID_PREFIX)
    decision = None
    if confirm:
        # The id is chosen before routing: a volume split's bucket is seeded by it.
        decision = route_payment(
            merchant=merchant,
            livemode=livemode,
            payment=payment_description(
                amount=amount, currency=currency, capture_method=capture_method, metadata=metadata,
                payment_id=public_id, pm=pm, pmd_type=pmd_type, pinned=(routing or {}).get("connector", ""),
            ),
        )  # fmt: skip
    connector = decision.connector if decision is not None else None

    if pm is not None or pmd_type:
        status = PaymentIntent.Status.REQUIRES_CONFIRMATION
    else:
        status = PaymentIntent.Status.REQUIRES_PAYMENT_METHOD
    # PostgreSQL: every row below, the risk decision and the vault's audit entry included, goes in
    # one statement, which in autocommit is its own transaction (no BEGIN/COMMIT round trips).
    with one_statement_transaction():
        writes = writes_for_attempt()
        intent = PaymentIntent(
            public_id=public_id,
            merchant=merchant,
            livemode=livemode,
            amount=amount,
            currency=currency,
            # create+confirm: the new intent goes straight to processing with its first attempt
            status=PaymentIntent.Status.PROCESSING if confirm else status,
            connector=connector,
            capture_method=capture_method,
            customer=customer_obj,
            payment_method=pm,
            payment_method_data={"type": pmd_type} if pmd_type else None,
            payment_method_types=types,
            description=description or "",
            statement_descriptor=statement_descriptor or "",
            metadata=metadata,
            order_id=str(metadata.get("order_id", ""))[:500],
            receipt_email=receipt_email or "",
            return_url=return_url or "",
            setup_future_usage=setup_future_usage or "",
            off_session=bool(off_session),
            request_three_d_secure=request_three_d_secure or "",
            split=clean_split,
        )
        writes.insert(intent)
        writes.audit(
            actor=actor,
            action="payment_intent.create",
            merchant=merchant,
            obj=intent,
            after={"amount": amount, "currency": currency, "status": intent.status, "confirm": confirm},
        )
        writes.events(
            merchant=merchant,
            livemode=livemode,
            events=[("payment_intent.created", payment_intent_to_dict(intent), None)],
        )
        if not confirm:
            writes.flush()
            return intent
        # The intent was created in this transaction: nobody else can see it, no lock needed; the
        # attempt's latest_charge link is saved with the result (step 3).
        charge = charge_build(intent, pm=pm, pmd_type=pmd_type, connector=connector, routing=decision.record)
        writes.insert(charge, refs={"payment_intent_id": intent})
        with writes.collecting():  # risk's decision and the card read's audit entry: same statement
            charge_opened(intent, charge, actor=actor)
        writes.flush()
        attempt_saved(charge)
    return run_authorization(
        intent, charge, actor=actor, merchant_settings=merchant_settings, decision=decision
    )


def _clean_changes(intent: PaymentIntent, changes: dict[str, Any], merchant_settings) -> None:
    """Validates the requested changes in place (currency upper-cased, ids resolved to rows)."""
    if "currency" in changes:
        changes["currency"] = changes["currency"].upper()
    if "amount" in changes or "currency" in changes:
        validate_intent_amount(
            amount=changes.get("amount", intent.amount),
            currency=changes.get("currency", intent.currency),
            merchant=intent.merchant,
            merchant_settings=merchant_settings,
        )
    if "payment_method_types" in changes:
        changes["payment_method_types"] = validate_types(changes["payment_method_types"], merchant_settings)
    if "customer" in changes:
        changes["customer"] = customer_find(
            merchant=intent.merchant, livemode=intent.livemode, id=changes["customer"]
        )
    if "payment_method" in changes:
        pm = payment_method_find(
            merchant=intent.merchant, livemode=intent.livemode, id=changes["payment_method"]
        )
        check_payment_method_fits(
            pm,
            types=changes.get("payment_method_types", intent.payment_method_types),
            customer=changes.get("customer", intent.customer),
        )
        changes["payment_method"] = pm
        intent.payment_method_data = None
    if "split" in changes:
        changes["split"] = validate_split(changes["split"])


def payment_intent_update(*, intent_id: int, actor: Actor, **changes: Any) -> PaymentIntent:
    """Amount, currency, payment method and capture settings only before confirmation; metadata,
    description and receipt_email at any time (as Stripe)."""
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        restricted = {k for k in changes if k not in UPDATABLE_ALWAYS}
        if restricted and intent.status not in UPDATABLE_BEFORE_CONFIRMATION:
            raise unexpected_state(intent, "update", extra={"param": sorted(restricted)[0]})
        merchant_settings = merchant_settings_get(intent.merchant) if restricted else None
        before = payment_intent_to_dict(intent)
        _clean_changes(intent, changes, merchant_settings)
        for field, value in changes.items():
            setattr(intent, field, value if value is not None else "")
        if "metadata" in changes:
            intent.metadata = changes["metadata"] or {}
            intent.order_id = str(intent.metadata.get("order_id", ""))[:500]
        if intent.status == PaymentIntent.Status.REQUIRES_PAYMENT_METHOD and intent.payment_method_id:
            intent.status = PaymentIntent.Status.REQUIRES_CONFIRMATION
        intent.save()
        after = payment_intent_to_dict(intent)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        audit_record(
            actor=actor, action="payment_intent.update", merchant=intent.merchant, obj=intent, before=previous,
            after={k: after[k] for k in previous},
        )  # fmt: skip
        if previous:
            intent_event(intent, "payment_intent.updated", previous)
    return intent
