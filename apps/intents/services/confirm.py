"""Confirming a payment intent: the authorization attempt's three steps.

1. lock the intent, check the transition, mark the attempt ``submitting``, write the audit
   entry, commit (``payment_intent_confirm`` / ``begin_attempt`` / ``new_charge``);
2. call the provider with our idempotency key (the charge id), outside any transaction
   (``run_authorization``);
3. lock again and record the result (``outcomes.charge_record_authorization``).

Which connector an attempt goes to is the routing decision (``route_attempt``, before step 1),
stored on the charge (``Charge.routing``); a retryable decline moves the attempt to the next
connector of that decision within the same confirm (``failover``).
"""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.routing.engine import PaymentDescription
from apps.routing.services import route_payment
from apps.vault.services import vault_cvc_release, vault_detokenize_audit

from .. import hooks  # risk's pre-authorization check (registered by apps.risk)
from ..errors import PaymentMethodDataIncompatible, PaymentMethodRequired, ReturnUrlRequired
from ..locks import payment_intent_lock
from ..models import Charge, PaymentIntent
from ..transitions import assert_transition, unexpected_state
from .common import REDIRECT_PAYMENT_METHOD_TYPES, events_together, merchant_settings_of
from .failover import charge_fail_over, failover_step
from .outcomes import charge_record_authorization
from .payment_methods import (
    authorize_purpose,
    card_for,
    check_payment_method_fits,
    check_payment_method_usable,
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
    routing: dict | None = None,
) -> PaymentIntent:
    """Raises CardError (402) after recording a declined attempt; the intent is then back in
    requires_payment_method with last_payment_error. ``routing[connector]`` pins the attempt."""
    head = PaymentIntent.objects.select_related("merchant", "payment_method").get(pk=intent_id)
    merchant, livemode = head.merchant, head.livemode
    pm = (
        payment_method_find(merchant=merchant, livemode=livemode, id=payment_method)
        if payment_method
        else None
    )
    pmd_type = (payment_method_data or {}).get("type") or ""
    decision = route_attempt(
        head,
        pm=pm if pm is not None else head.payment_method,
        pmd_type=pmd_type or (head.payment_method_data or {}).get("type") or "",
        pinned=(routing or {}).get("connector", ""),
    )
    connector = decision.connector
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
        charge = begin_attempt(
            intent, actor=actor, pm=pm, pmd_type=pmd_type, connector=connector, routing=decision.record
        )
    return run_authorization(
        intent, charge, actor=actor, merchant_settings=merchant_settings, decision=decision
    )


def payment_description(
    *,
    amount: int,
    currency: str,
    capture_method: str,
    metadata,
    payment_id: str,
    pm,
    pmd_type: str,
    pinned: str = "",
) -> PaymentDescription:
    """The plain description of the payment that routing decides on."""
    billing = (getattr(pm, "billing_details", None) or {}) if pm is not None else {}
    address = billing.get("address") if isinstance(billing, dict) else None
    return PaymentDescription(
        amount=amount,
        currency=currency,
        payment_method_type=(pm.type if pm is not None else pmd_type) or "card",
        card_brand=(getattr(pm, "card_brand", "") or "") if pm is not None else "",
        card_country=(getattr(pm, "card_country", "") or "") if pm is not None else "",
        card_token_provider=(getattr(pm, "card_token_provider", "") or "") if pm is not None else "",
        billing_country=str((address or {}).get("country") or ""),
        capture_method=capture_method or "automatic",
        metadata=metadata or {},
        payment_id=payment_id,
        connector=pinned,
    )


def route_attempt(intent: PaymentIntent, *, pm, pmd_type: str, pinned: str = ""):
    """The routing decision of a new attempt (raises no_connector_available when none fits)."""
    if pm is not None:
        check_payment_method_usable(pm)  # the intent's own payment method too (a second confirm)
    description = payment_description(
        amount=intent.amount, currency=intent.currency, capture_method=intent.capture_method,
        metadata=intent.metadata, payment_id=intent.public_id, pm=pm, pmd_type=pmd_type, pinned=pinned,
    )  # fmt: skip
    return route_payment(merchant=intent.merchant, livemode=intent.livemode, payment=description)


def begin_attempt(
    intent: PaymentIntent, *, actor: Actor, pm, pmd_type: str, connector, routing: dict | None = None
) -> Charge:
    """Step 1 (inside the caller's transaction, intent locked or new): the attempt, marked submitting."""
    assert_transition(intent, PaymentIntent.Status.PROCESSING, action="confirm")
    charge = new_charge(intent, pm=pm, pmd_type=pmd_type, connector=connector, actor=actor, routing=routing)
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


def new_charge(
    intent: PaymentIntent, *, pm, pmd_type: str, connector, actor: Actor, routing: dict | None = None
) -> Charge:
    """The attempt, marked submitting (step 1, in the caller's transaction), then `charge_opened`."""
    charge = charge_build(intent, pm=pm, pmd_type=pmd_type, connector=connector, routing=routing)
    charge.save()
    charge_opened(intent, charge, actor=actor)
    return charge


def charge_build(
    intent: PaymentIntent, *, pm, pmd_type: str, connector, routing: dict | None = None
) -> Charge:
    """The new attempt's row, marked submitting, unsaved."""
    if pm is not None:
        pm_type, details, last4 = payment_method_snapshot(pm)
    else:
        pm_type, details, last4 = pmd_type, {"type": pmd_type, pmd_type: {}}, ""
    return Charge(
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
        routing=routing,
    )


def charge_opened(intent: PaymentIntent, charge: Charge, *, actor: Actor) -> None:
    """After the attempt's row is written (same transaction): risk's verdict and, when the
    provider call will read the card number from the vault, the read's audit entry, so it is
    durable before the number is read."""
    hooks.pre_authorization(intent, charge)  # risk: verdict + decision record, before any provider call
    if needs_card(charge) and not hooks.blocked(charge):  # risk: a blocked attempt reads no card
        pm = charge.payment_method
        if pm.merchant_id == intent.merchant_id:
            pm.merchant = intent.merchant
        vault_detokenize_audit(payment_method=pm, purpose=authorize_purpose(charge), actor=actor)


def run_authorization(
    intent: PaymentIntent, charge: Charge, *, actor: Actor, merchant_settings, decision=None
) -> PaymentIntent:
    """Step 2 (no transaction open): call the provider; step 3: record. With a routing
    ``decision``, a retryable decline (or an attempt the connector confirms it never received)
    moves to the decision's next connector, bounded (see ``failover``). Each attempt gets its own
    risk verdict (``new_charge`` runs the pre-authorization hook); a blocked one never moves."""
    attempt = 1
    while True:
        request, result = _call_provider(intent, charge, actor=actor, merchant_settings=merchant_settings)
        if hooks.blocked(charge):  # risk: no provider was called, nothing to fail over
            break
        result, target = failover_step(charge, result, decision=decision, attempt=attempt)
        if target is None:
            break
        connector, routing = target
        moved = charge_fail_over(
            intent_id=intent.pk, charge_id=charge.pk, result=result, connector=connector,
            routing=routing, actor=actor, new_charge=new_charge,
        )  # fmt: skip
        if moved is None:
            break  # resolved meanwhile: step 3 below leaves it as recorded
        charge, attempt = moved, attempt + 1
        intent.latest_charge = charge
    vault_cvc_release(payment_method=charge.payment_method)  # the CVC served this authorization only
    recorded = None  # risk
    try:
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


def _call_provider(intent: PaymentIntent, charge: Charge, *, actor: Actor, merchant_settings):
    verdict = hooks.verdict_of(charge)  # risk
    blocked = hooks.blocked(charge)  # risk: no card read, no provider call
    card = None if blocked else card_for(charge, actor, purpose=authorize_purpose(charge), audited=True)
    request = payment_request(intent, charge, card=card, merchant_settings=merchant_settings)
    request = hooks.apply_verdict(request, verdict)  # risk: 3DS requested / review hold
    if blocked:
        return request, hooks.blocked_result(verdict)
    if charge.payment_method_type in REDIRECT_PAYMENT_METHOD_TYPES:
        return request, gateway.start_redirect(connector=charge.connector, request=request)
    return request, gateway.authorize(connector=charge.connector, request=request)
