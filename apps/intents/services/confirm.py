"""Confirming a payment intent: the authorization attempt's three steps.

1. lock the intent, check the transition, mark the attempt ``submitting``, write the audit
   entry, commit (``payment_intent_confirm`` / ``begin_attempt`` / ``new_charge``);
2. call the provider with our idempotency key (the charge id), outside any transaction
   (``run_authorization``);
3. lock again and record the result (``outcomes.charge_record_authorization``).
"""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.selectors import connector_for_payment
from apps.vault.services import vault_detokenize_audit

from .. import hooks  # risk's pre-authorization check (registered by apps.risk)
from ..errors import PaymentMethodDataIncompatible, PaymentMethodRequired, ReturnUrlRequired
from ..locks import payment_intent_lock
from ..models import Charge, PaymentIntent
from ..transitions import assert_transition, unexpected_state
from .common import REDIRECT_PAYMENT_METHOD_TYPES, events_together, merchant_settings_of
from .outcomes import charge_record_authorization
from .payment_methods import (
    authorize_purpose,
    card_for,
    check_payment_method_fits,
    needs_card,
    payment_method_find,
    payment_method_snapshot,
    payment_request,
)

CONFIRMABLE = (PaymentIntent.Status.REQUIRES_PAYMENT_METHOD, PaymentIntent.Status.REQUIRES_CONFIRMATION)


@events_together
def payment_intent_confirm(
    *,
    intent_id: int,
    actor: Actor,
    payment_method: str | None = None,
    payment_method_data: dict | None = None,
    return_url: str | None = None,
    off_session: bool | None = None,
    receipt_email: str | None = None,
    setup_future_usage: str | None = None,
) -> PaymentIntent:
    """Raises CardError (402) after recording a declined attempt; the intent is then back in
    requires_payment_method with last_payment_error."""
    head = PaymentIntent.objects.select_related("merchant").get(pk=intent_id)
    merchant, livemode = head.merchant, head.livemode
    pm = (
        payment_method_find(merchant=merchant, livemode=livemode, id=payment_method)
        if payment_method
        else None
    )
    pmd_type = (payment_method_data or {}).get("type") or ""
    connector = connector_for_payment(merchant=merchant, livemode=livemode)
    merchant_settings = merchant_settings_of(merchant)
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        if intent.status not in CONFIRMABLE:
            raise unexpected_state(intent, "confirm")
        if pm is not None:
            check_payment_method_fits(pm, types=intent.payment_method_types, customer=intent.customer)
        elif pmd_type:
            if pmd_type not in intent.payment_method_types:
                raise PaymentMethodDataIncompatible(pm_type=pmd_type)
        else:
            pm = intent.payment_method
            pmd_type = (intent.payment_method_data or {}).get("type", "")
            if pm is None and not pmd_type:
                raise PaymentMethodRequired()
        if return_url is not None:
            intent.return_url = return_url
        if pmd_type and pm is None and not intent.return_url:
            raise ReturnUrlRequired()
        if off_session is not None:
            intent.off_session = off_session
        if receipt_email is not None:
            intent.receipt_email = receipt_email
        if setup_future_usage is not None:
            intent.setup_future_usage = setup_future_usage
        charge = begin_attempt(intent, actor=actor, pm=pm, pmd_type=pmd_type, connector=connector)
    return run_authorization(intent, charge, actor=actor, merchant_settings=merchant_settings)


def begin_attempt(intent: PaymentIntent, *, actor: Actor, pm, pmd_type: str, connector) -> Charge:
    """Step 1 (inside the caller's transaction, intent locked or new): the attempt, marked submitting."""
    assert_transition(intent, PaymentIntent.Status.PROCESSING, action="confirm")
    charge = new_charge(intent, pm=pm, pmd_type=pmd_type, connector=connector, actor=actor)
    intent.status = PaymentIntent.Status.PROCESSING
    intent.latest_charge = charge
    intent.connector = connector
    intent.payment_method = pm
    intent.payment_method_data = {"type": pmd_type} if pm is None and pmd_type else None
    intent.next_action = None
    intent.last_payment_error = None
    intent.save()
    audit_record(
        actor=actor,
        action="payment_intent.confirm",
        merchant=intent.merchant,
        obj=intent,
        after={"charge": charge.public_id, "payment_method_type": charge.payment_method_type,
               "connector": connector.public_id},
    )  # fmt: skip
    return charge


def new_charge(intent: PaymentIntent, *, pm, pmd_type: str, connector, actor: Actor) -> Charge:
    """The attempt, marked submitting (step 1, in the caller's transaction). When the provider
    call will read the card number from the vault, the read's audit entry is written here too,
    so it is durable before the number is read."""
    if pm is not None:
        pm_type, details, last4 = payment_method_snapshot(pm)
    else:
        pm_type, details, last4 = pmd_type, {"type": pmd_type, pmd_type: {}}, ""
    charge = Charge(
        merchant=intent.merchant,
        livemode=intent.livemode,
        payment_intent=intent,
        connector=connector,
        status=Charge.Status.SUBMITTING,
        amount=intent.amount,
        currency=intent.currency,
        payment_method=pm,
        payment_method_type=pm_type,
        payment_method_details=details,
        last4=last4,
    )
    charge.save()
    hooks.pre_authorization(intent, charge)  # risk: verdict + decision record, before any provider call
    if needs_card(charge) and not hooks.blocked(charge):  # risk: a blocked attempt reads no card
        if pm.merchant_id == intent.merchant_id:
            pm.merchant = intent.merchant
        vault_detokenize_audit(payment_method=pm, purpose=authorize_purpose(charge), actor=actor)
    return charge


def run_authorization(
    intent: PaymentIntent, charge: Charge, *, actor: Actor, merchant_settings
) -> PaymentIntent:
    """Step 2 (no transaction open): call the provider; step 3: record."""
    verdict = hooks.verdict_of(charge)  # risk
    blocked = hooks.blocked(charge)  # risk: no card read, no provider call
    card = None if blocked else card_for(charge, actor, purpose=authorize_purpose(charge), audited=True)
    request = payment_request(intent, charge, card=card, merchant_settings=merchant_settings)
    request = hooks.apply_verdict(request, verdict)  # risk: 3DS requested / review hold
    if blocked:  # risk
        result = hooks.blocked_result(verdict)
    elif charge.payment_method_type in REDIRECT_PAYMENT_METHOD_TYPES:
        result = gateway.start_redirect(connector=charge.connector, request=request)
    else:
        result = gateway.authorize(connector=charge.connector, request=request)
    recorded = None  # risk
    try:  # risk
        recorded = charge_record_authorization(
            intent_id=intent.pk,
            charge_id=charge.pk,
            result=result,
            actor=actor,
            capture=request.capture,
            merchant_settings=merchant_settings,
            known=(intent, charge),
        )
        return recorded
    finally:  # risk: reviews opened, declines counted
        hooks.after_authorization(charge, recorded)
