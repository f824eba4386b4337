"""Every write to payment intents and charges.

The provider is never called while a row lock or a transaction is held:

1. lock the intent, check the transition, mark the attempt ``submitting`` (or the charge's
   ``pending_operation``), write the audit entry, commit;
2. call the adapter with our idempotency key (the charge id), outside any transaction;
3. lock again and record the result (state, audit, ledger, outbox events in one transaction).

A crash or timeout between 1 and 3 leaves the attempt ``submitting``/``unknown``; the re-check
janitor (``payment_intents_recheck``) asks the provider what happened and records it.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import (
    Approved,
    Declined,
    PaymentRequest,
    Pending,
    RequiresAction,
    RetryableError,
)
from apps.connectors.selectors import connector_for_payment
from apps.core.currencies import validate_amount
from apps.core.errors import ApplicationError, CardError, InvalidRequestError, StateConflictError
from apps.merchants.selectors import merchant_settings_get
from apps.webhooks.services import event_record, events_publish_deferred, events_record

from .api.serializers import charge_to_dict, payment_intent_to_dict
from .models import Charge, PaymentIntent
from .transitions import assert_charge_transition, assert_transition, unexpected_state

logger = logging.getLogger(__name__)

S = PaymentIntent.Status
C = Charge.Status

AUTHORIZATION_VALIDITY = timedelta(days=7)
REDIRECT_PAYMENT_METHOD_TYPES = {"paypal", "wechat_pay", "promptpay", "paynow", "ideal", "klarna"}
CARD_LIKE_TYPES = {"card", "apple_pay", "google_pay"}
CANCELLABLE = {S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION, S.REQUIRES_ACTION, S.REQUIRES_CAPTURE}
UPDATABLE_BEFORE_CONFIRMATION = {S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION}


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def ledger_hooks():
    """apps.ledger.hooks when the ledger app provides it (issue 5), else None."""
    if importlib.util.find_spec("apps.ledger.services") is None:
        return None
    from apps.ledger import services as hooks

    return hooks


def _ledger_on_capture(charge: Charge, **options) -> None:
    hooks = ledger_hooks()
    if hooks is not None and hasattr(hooks, "on_capture"):
        hooks.on_capture(charge=charge, **options)


def _merchant_settings(merchant):
    """The merchant's settings, from the row API-key authentication already joined when it did
    (`select_related("merchant__settings")`), else one query."""
    cached = merchant._state.fields_cache.get("settings")
    return cached if cached is not None else merchant_settings_get(merchant)


def _event(intent_or_charge, type_: str, data: dict, previous: dict | None = None) -> None:
    event_record(
        merchant=intent_or_charge.merchant,
        livemode=intent_or_charge.livemode,
        type=type_,
        data=data,
        previous_attributes=previous,
    )


def _events_together(fn):
    """The events of the request's transactions (create+confirm commits twice) are published
    once, after the last commit: one broker message and one UPDATE."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with events_publish_deferred():
            return fn(*args, **kwargs)

    return wrapper


def _intent_event(intent: PaymentIntent, type_: str, previous: dict | None = None) -> None:
    _event(intent, type_, payment_intent_to_dict(intent), previous)


def _charge_event(charge: Charge, type_: str) -> None:
    _event(charge, type_, charge_to_dict(charge))


_INTENT_RELATED = ("merchant", "customer", "payment_method")


def _lock_intent(intent_id: int, known: PaymentIntent | None = None) -> PaymentIntent:
    """Locks and re-reads the intent. With `known` (the same intent read earlier in this request),
    only the intent row is read; its merchant, customer and payment method objects are reused
    when the locked row still points at the same rows."""
    if known is None:
        return (
            PaymentIntent.objects.select_for_update(of=("self",))
            .select_related(*_INTENT_RELATED)
            .get(pk=intent_id)
        )
    intent = PaymentIntent.objects.select_for_update().get(pk=intent_id)
    _reuse_related(intent, known, _INTENT_RELATED)
    return intent


def _reuse_related(obj, known, names) -> None:
    cache = known._state.fields_cache
    for name in names:
        related = cache.get(name)
        field_id = getattr(obj, f"{name}_id")
        if related is not None and related.pk == field_id:
            setattr(obj, name, related)


def _field_state(obj) -> dict:
    """The concrete field values of a model instance (for `_save_changed`)."""
    state = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        state[field.attname] = value.copy() if isinstance(value, (dict, list)) else value
    return state


def _save_changed(obj, before: dict) -> None:
    """UPDATE only the columns that differ from `before` (plus updated_at): the locked row was
    read in this transaction, so the others hold what the row holds."""
    changed = [
        field.name
        for field in obj._meta.concrete_fields
        if not field.primary_key and getattr(obj, field.attname) != before.get(field.attname)
    ]
    if not changed:
        return
    if "updated_at" not in changed:
        changed.append("updated_at")
    obj.save(update_fields=changed)


def _lock_charge(charge_id: int, intent: PaymentIntent | None = None, known: Charge | None = None) -> Charge:
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


def _vault():
    from apps.vault import selectors as vault_selectors
    from apps.vault import services as vault_services

    return vault_selectors, vault_services


def _payment_method(*, merchant, livemode: bool, id: str, param: str = "payment_method"):
    vault_selectors, _ = _vault()
    try:
        pm = vault_selectors.payment_method_for_payment(merchant=merchant, livemode=livemode, id=id)
    except ApplicationError as exc:
        raise InvalidRequestError(
            f"No such PaymentMethod: '{id}'", code="resource_missing", param=param
        ) from exc
    if getattr(pm, "deleted_at", None) is not None:
        raise InvalidRequestError(
            f"PaymentMethod '{id}' was deleted and can no longer be used.",
            code="resource_missing",
            param=param,
        )
    return pm


def _customer(*, merchant, livemode: bool, id: str):
    vault_selectors, _ = _vault()
    try:
        return vault_selectors.customer_get(merchant=merchant, livemode=livemode, id=id)
    except ApplicationError as exc:
        raise InvalidRequestError(
            f"No such customer: '{id}'", code="resource_missing", param="customer"
        ) from exc


def _pm_snapshot(pm) -> tuple[str, dict, str]:
    """(type, payment_method_details, last4) copied onto the charge; never the number."""
    from apps.vault.api.serializers import payment_method_to_dict

    data = payment_method_to_dict(pm)
    pm_type = data.get("type") or "card"
    details = {"type": pm_type}
    sub = data.get(pm_type)
    if isinstance(sub, dict):
        details[pm_type] = {k: v for k, v in sub.items() if k not in ("checks", "number", "cvc")}
    last4 = (sub or {}).get("last4", "") if isinstance(sub, dict) else ""
    return pm_type, details, last4 or ""


def validate_intent_amount(
    *, amount: int, currency: str, merchant, merchant_settings, param="amount"
) -> None:
    if amount <= 0:
        raise InvalidRequestError("Amount must be a positive integer.", code="amount_too_small", param=param)
    validate_amount(amount, currency, param=param)
    limit = merchant_settings.max_authorization_amount
    if limit and currency == merchant.default_currency and amount > limit:
        raise InvalidRequestError(
            f"Amount must be no more than {limit} (this account's maximum authorization amount).",
            code="amount_too_large",
            param=param,
        )


def validate_split(split: list[dict] | None) -> list[dict] | None:
    """The ledger's split rule (apps.ledger.splits): account types SystemOwner / ServiceOwner /
    Partner (aliases accepted, stored canonical), `percentage_bp` or `percentage` per entry, the
    percentages summing to 100%. Stored as [{account_type, account_id, percentage_bp}], the shape
    the ledger's capture hook reads. None means no split."""
    if split is None:
        return None
    from apps.ledger.splits import validate_split_rule

    return validate_split_rule(split, param="split")


def _validate_types(types: list[str], merchant_settings) -> list[str]:
    allowed = set(merchant_settings.allowed_payment_method_types or [])
    supported = CARD_LIKE_TYPES | REDIRECT_PAYMENT_METHOD_TYPES
    for index, pm_type in enumerate(types):
        if pm_type not in supported or (allowed and pm_type not in allowed):
            raise InvalidRequestError(
                f"The payment method type {pm_type!r} is invalid or not enabled for this account.",
                code="payment_method_type_invalid",
                param=f"payment_method_types[{index}]",
            )
    return list(dict.fromkeys(types))


def _check_pm_fits(pm, *, types: list[str], customer) -> str:
    pm_type = getattr(pm, "type", "card") or "card"
    if pm_type not in types:
        raise InvalidRequestError(
            f"The PaymentMethod's type {pm_type!r} is not in this PaymentIntent's payment_method_types.",
            code="payment_intent_incompatible_payment_method",
            param="payment_method",
        )
    pm_customer_id = getattr(pm, "customer_id", None)
    if pm_customer_id and (customer is None or pm_customer_id != customer.pk):
        raise InvalidRequestError(
            "The PaymentMethod is attached to another customer; pass that customer or another payment method.",
            code="payment_method_customer_mismatch",
            param="payment_method",
        )
    return pm_type


def _three_ds_policy(intent: PaymentIntent, merchant_settings) -> str:
    if intent.request_three_d_secure in ("any", "challenge"):
        return "always"
    policy = getattr(merchant_settings, "three_ds_policy", "automatic") or "automatic"
    return policy


def _payment_request(
    intent: PaymentIntent, charge: Charge, *, card=None, merchant_settings=None
) -> PaymentRequest:
    billing = None
    if charge.payment_method_id and intent.payment_method_id == charge.payment_method_id:
        billing = getattr(intent.payment_method, "billing_details", None)
    if merchant_settings is None:
        merchant_settings = merchant_settings_get(intent.merchant)
    return PaymentRequest(
        idempotency_key=charge.provider_key,
        amount=charge.amount,
        currency=charge.currency,
        payment_method_type=charge.payment_method_type,
        card=card,
        capture=intent.capture_method == PaymentIntent.CaptureMethod.AUTOMATIC,
        off_session=intent.off_session,
        three_ds=_three_ds_policy(intent, merchant_settings),
        billing_details=billing if isinstance(billing, dict) else None,
        return_url=intent.return_url,
        description=intent.description,
        statement_descriptor=intent.statement_descriptor,
        metadata=intent.metadata or {},
        reference=charge.public_id,
        merchant_reference=intent.merchant.public_id,
    )


def _needs_card(charge: Charge) -> bool:
    return charge.payment_method_type == "card" and charge.payment_method_id is not None


def _card_for(charge: Charge, actor: Actor, purpose: str, *, audited: bool = False):
    if not _needs_card(charge):
        return None
    _, vault_services = _vault()
    return vault_services.vault_detokenize(
        payment_method=charge.payment_method, purpose=purpose, actor=actor, audited=audited
    )


def _authorize_purpose(charge: Charge) -> str:
    return f"authorize {charge.public_id}"


# ---------------------------------------------------------------------------------------------
# create / update
# ---------------------------------------------------------------------------------------------


@_events_together
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
) -> PaymentIntent:
    currency = currency.upper()
    merchant_settings = _merchant_settings(merchant)
    validate_intent_amount(
        amount=amount, currency=currency, merchant=merchant, merchant_settings=merchant_settings
    )
    customer_obj = _customer(merchant=merchant, livemode=livemode, id=customer) if customer else None
    pm = _payment_method(merchant=merchant, livemode=livemode, id=payment_method) if payment_method else None
    pmd_type = (payment_method_data or {}).get("type") or ""
    if payment_method_types:
        types = _validate_types(payment_method_types, merchant_settings)
    else:
        types = [getattr(pm, "type", None) or pmd_type or "card"]
        types = _validate_types(types, merchant_settings)
    if pm is not None:
        _check_pm_fits(pm, types=types, customer=customer_obj)
    if pmd_type and pmd_type not in types:
        raise InvalidRequestError(
            f"payment_method_data[type] {pmd_type!r} is not in payment_method_types.",
            code="payment_intent_incompatible_payment_method",
            param="payment_method_data[type]",
        )
    if confirm and pm is None and not pmd_type:
        raise InvalidRequestError(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="parameter_missing",
            param="payment_method",
        )
    if confirm and pmd_type and not return_url:
        raise InvalidRequestError(
            "A return_url is required to confirm a redirect payment method.",
            code="parameter_missing",
            param="return_url",
        )
    clean_split = validate_split(split)
    metadata = metadata or {}
    connector = connector_for_payment(merchant=merchant, livemode=livemode) if confirm else None

    status = S.REQUIRES_CONFIRMATION if (pm is not None or pmd_type) else S.REQUIRES_PAYMENT_METHOD
    with transaction.atomic(durable=True):
        intent = PaymentIntent(
            merchant=merchant,
            livemode=livemode,
            amount=amount,
            currency=currency,
            # create+confirm: the new intent goes straight to processing with its first attempt
            status=S.PROCESSING if confirm else status,
            connector=connector,
            capture_method=capture_method or merchant_settings.default_capture_method or "automatic",
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
        intent.save()
        audit_record(
            actor=actor,
            action="payment_intent.create",
            merchant=merchant,
            obj=intent,
            after={"amount": amount, "currency": currency, "status": intent.status, "confirm": confirm},
        )
        _intent_event(intent, "payment_intent.created")
        if not confirm:
            return intent
        # The intent was created in this transaction: nobody else can see it, no lock needed; the
        # attempt's latest_charge link is saved with the result (step 3).
        charge = _new_charge(intent, pm=pm, pmd_type=pmd_type, connector=connector, actor=actor)
    return _run_authorization(intent, charge, actor=actor, merchant_settings=merchant_settings)


def payment_intent_update(*, intent_id: int, actor: Actor, **changes: Any) -> PaymentIntent:
    """Amount, currency, payment method and capture settings only before confirmation; metadata,
    description and receipt_email at any time (as Stripe)."""
    always = {"metadata", "description", "receipt_email"}
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id)
        restricted = {k for k in changes if k not in always}
        if restricted and intent.status not in UPDATABLE_BEFORE_CONFIRMATION:
            raise unexpected_state(intent, "update", extra={"param": sorted(restricted)[0]})
        merchant_settings = merchant_settings_get(intent.merchant) if restricted else None
        before = payment_intent_to_dict(intent)
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
            changes["payment_method_types"] = _validate_types(
                changes["payment_method_types"], merchant_settings
            )
        if "customer" in changes:
            changes["customer"] = _customer(
                merchant=intent.merchant, livemode=intent.livemode, id=changes["customer"]
            )
        if "payment_method" in changes:
            pm = _payment_method(
                merchant=intent.merchant, livemode=intent.livemode, id=changes["payment_method"]
            )
            _check_pm_fits(
                pm,
                types=changes.get("payment_method_types", intent.payment_method_types),
                customer=changes.get("customer", intent.customer),
            )
            changes["payment_method"] = pm
            intent.payment_method_data = None
        if "split" in changes:
            changes["split"] = validate_split(changes["split"])
        for field, value in changes.items():
            setattr(intent, field, value if value is not None else "")
        if "metadata" in changes:
            intent.metadata = changes["metadata"] or {}
            intent.order_id = str(intent.metadata.get("order_id", ""))[:500]
        if intent.status == S.REQUIRES_PAYMENT_METHOD and intent.payment_method_id:
            intent.status = S.REQUIRES_CONFIRMATION
        intent.save()
        after = payment_intent_to_dict(intent)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        audit_record(
            actor=actor, action="payment_intent.update", merchant=intent.merchant, obj=intent, before=previous,
            after={k: after[k] for k in previous},
        )  # fmt: skip
        if previous:
            _intent_event(intent, "payment_intent.updated", previous)
    return intent


# ---------------------------------------------------------------------------------------------
# confirm and the authorization attempt
# ---------------------------------------------------------------------------------------------


@_events_together
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
    pm = _payment_method(merchant=merchant, livemode=livemode, id=payment_method) if payment_method else None
    pmd_type = (payment_method_data or {}).get("type") or ""
    connector = connector_for_payment(merchant=merchant, livemode=livemode)
    merchant_settings = _merchant_settings(merchant)
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id)
        if intent.status not in (S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION):
            raise unexpected_state(intent, "confirm")
        if pm is not None:
            _check_pm_fits(pm, types=intent.payment_method_types, customer=intent.customer)
        elif pmd_type:
            if pmd_type not in intent.payment_method_types:
                raise InvalidRequestError(
                    f"payment_method_data[type] {pmd_type!r} is not in payment_method_types.",
                    code="payment_intent_incompatible_payment_method",
                    param="payment_method_data[type]",
                )
        else:
            pm = intent.payment_method
            pmd_type = (intent.payment_method_data or {}).get("type", "")
            if pm is None and not pmd_type:
                raise InvalidRequestError(
                    "You cannot confirm this PaymentIntent because it's missing a payment method.",
                    code="parameter_missing",
                    param="payment_method",
                )
        if return_url is not None:
            intent.return_url = return_url
        if pmd_type and pm is None and not intent.return_url:
            raise InvalidRequestError(
                "A return_url is required to confirm a redirect payment method.",
                code="parameter_missing",
                param="return_url",
            )
        if off_session is not None:
            intent.off_session = off_session
        if receipt_email is not None:
            intent.receipt_email = receipt_email
        if setup_future_usage is not None:
            intent.setup_future_usage = setup_future_usage
        charge = _begin_attempt(intent, actor=actor, pm=pm, pmd_type=pmd_type, connector=connector)
    return _run_authorization(intent, charge, actor=actor, merchant_settings=merchant_settings)


def _begin_attempt(intent: PaymentIntent, *, actor: Actor, pm, pmd_type: str, connector) -> Charge:
    """Step 1 (inside the caller's transaction, intent locked or new): the attempt, marked submitting."""
    assert_transition(intent, S.PROCESSING, action="confirm")
    charge = _new_charge(intent, pm=pm, pmd_type=pmd_type, connector=connector, actor=actor)
    intent.status = S.PROCESSING
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


def _new_charge(intent: PaymentIntent, *, pm, pmd_type: str, connector, actor: Actor) -> Charge:
    """The attempt, marked submitting (step 1, in the caller's transaction). When the provider
    call will read the card number from the vault, the read's audit entry is written here too,
    so it is durable before the number is read."""
    if pm is not None:
        pm_type, details, last4 = _pm_snapshot(pm)
    else:
        pm_type, details, last4 = pmd_type, {"type": pmd_type, pmd_type: {}}, ""
    charge = Charge(
        merchant=intent.merchant,
        livemode=intent.livemode,
        payment_intent=intent,
        connector=connector,
        status=C.SUBMITTING,
        amount=intent.amount,
        currency=intent.currency,
        payment_method=pm,
        payment_method_type=pm_type,
        payment_method_details=details,
        last4=last4,
    )
    charge.save()
    if _needs_card(charge):
        if pm.merchant_id == intent.merchant_id:
            pm.merchant = intent.merchant
        _, vault_services = _vault()
        vault_services.vault_detokenize_audit(
            payment_method=pm, purpose=_authorize_purpose(charge), actor=actor
        )
    return charge


def _run_authorization(
    intent: PaymentIntent, charge: Charge, *, actor: Actor, merchant_settings
) -> PaymentIntent:
    """Step 2 (no transaction open): call the provider; step 3: record."""
    card = _card_for(charge, actor, purpose=_authorize_purpose(charge), audited=True)
    request = _payment_request(intent, charge, card=card, merchant_settings=merchant_settings)
    if charge.payment_method_type in REDIRECT_PAYMENT_METHOD_TYPES:
        result = gateway.start_redirect(connector=charge.connector, request=request)
    else:
        result = gateway.authorize(connector=charge.connector, request=request)
    return record_authorization_result(
        intent_id=intent.pk,
        charge_id=charge.pk,
        result=result,
        actor=actor,
        capture=request.capture,
        merchant_settings=merchant_settings,
        known=(intent, charge),
    )


@dataclass
class _Recorded:
    intent: PaymentIntent
    charge: Charge
    error: ApplicationError | None


def record_authorization_result(
    *,
    intent_id: int,
    charge_id: int,
    result,
    actor: Actor,
    capture: bool,
    raise_errors: bool = True,
    merchant_settings=None,
    known: tuple[PaymentIntent, Charge] | None = None,
) -> PaymentIntent:
    """Step 3: lock and record an authorization outcome (also used by the janitor and by inbound
    gateway events). An attempt already recorded is left alone: replays change nothing."""
    recorded = _record(
        intent_id=intent_id,
        charge_id=charge_id,
        result=result,
        actor=actor,
        capture=capture,
        merchant_settings=merchant_settings,
        known=known,
    )
    if recorded.error is not None and raise_errors:
        raise recorded.error
    return recorded.intent


def _record(
    *,
    intent_id: int,
    charge_id: int,
    result,
    actor: Actor,
    capture: bool,
    merchant_settings=None,
    known: tuple[PaymentIntent, Charge] | None = None,
) -> _Recorded:
    """`known`: the intent and charge objects of step 1 (same request), whose related rows are
    reused instead of joined again; the intent and charge rows themselves are always re-read
    under the lock."""
    now = timezone.now()
    known_intent, known_charge = known or (None, None)
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id, known_intent)
        charge = _lock_charge(charge_id, intent, known_charge)
        intent_before, charge_before = _field_state(intent), _field_state(charge)
        if charge.payment_method_id and charge.payment_method_id == intent.payment_method_id:
            charge.payment_method = intent.payment_method
        link_missing = intent.latest_charge_id != charge.pk
        intent.latest_charge = charge
        if charge.status not in (C.SUBMITTING, C.UNKNOWN, C.PENDING):
            return _Recorded(intent, charge, None)
        error: ApplicationError | None = None
        if isinstance(result, Approved):
            _apply_checks(charge, result)
            charge.gateway_reference = result.gateway_reference or charge.gateway_reference
            charge.authorization_code = result.authorization_code
            charge.network_code = result.network_code
            charge.network_transaction_id = result.network_transaction_id
            charge.authorized_at = now
            charge.amount_authorized = charge.amount
            charge.action_reference = ""
            if capture:
                assert_charge_transition(charge, C.SUCCEEDED)
                charge.status = C.SUCCEEDED
                charge.captured = True
                charge.amount_captured = charge.amount
                charge.captured_at = now
                assert_transition(intent, S.SUCCEEDED, action="confirm")
                intent.status = S.SUCCEEDED
                intent.amount_received = charge.amount
                intent.amount_capturable = 0
                intent.succeeded_at = now
            else:
                assert_charge_transition(charge, C.AUTHORIZED)
                charge.status = C.AUTHORIZED
                charge.authorization_expires_at = now + AUTHORIZATION_VALIDITY
                assert_transition(intent, S.REQUIRES_CAPTURE, action="confirm")
                intent.status = S.REQUIRES_CAPTURE
                intent.amount_capturable = charge.amount
            intent.next_action = None
            intent.last_payment_error = None
            if capture:
                # The ledger fills the charge's fee fields (and the intent's split amounts) on the
                # objects; the two saves below write them with the new state, one UPDATE each.
                _ledger_on_capture(
                    charge,
                    persist=False,
                    first_capture=True,
                    settlement_delay_days=(
                        merchant_settings.settlement_delay_days if merchant_settings is not None else None
                    ),
                )
            _save_changed(charge, charge_before)
            _save_changed(intent, intent_before)
            audit_record(
                actor=actor,
                action="payment_intent.succeeded" if capture else "payment_intent.authorized",
                merchant=intent.merchant,
                obj=intent,
                after={"charge": charge.public_id, "gateway_reference": charge.gateway_reference,
                       "status": intent.status, "amount": charge.amount},
            )  # fmt: skip
            events_record(
                merchant=intent.merchant,
                livemode=intent.livemode,
                events=[
                    ("charge.succeeded", charge_to_dict(charge), None),
                    (
                        "payment_intent.succeeded" if capture else "payment_intent.amount_capturable_updated",
                        payment_intent_to_dict(intent),
                        None,
                    ),
                ],
            )
        elif isinstance(result, Declined):
            error = _fail_attempt(intent, charge, result, actor=actor, now=now)
        elif isinstance(result, RequiresAction):
            assert_charge_transition(charge, C.REQUIRES_ACTION)
            charge.status = C.REQUIRES_ACTION
            charge.action_reference = result.reference
            charge.gateway_reference = result.gateway_reference or charge.gateway_reference
            if result.three_ds:
                charge.three_ds = {
                    "result": "challenge_required",
                    "version": result.raw.get("three_ds_version"),
                }
            assert_transition(intent, S.REQUIRES_ACTION, action="confirm")
            intent.status = S.REQUIRES_ACTION
            intent.next_action = _next_action(intent, result)
            charge.save()
            intent.save()
            audit_record(
                actor=actor, action="payment_intent.requires_action", merchant=intent.merchant, obj=intent,
                after={"charge": charge.public_id, "kind": result.kind, "three_ds": result.three_ds},
            )  # fmt: skip
            _intent_event(intent, "payment_intent.requires_action")
        elif isinstance(result, Pending):
            assert_charge_transition(charge, C.PENDING)
            charge.status = C.PENDING
            charge.gateway_reference = result.gateway_reference or charge.gateway_reference
            charge.save()
            if link_missing:
                intent.save(update_fields=["latest_charge", "updated_at"])
            _charge_event(charge, "charge.pending")
        elif isinstance(result, RetryableError) and result.outcome_unknown:
            assert_charge_transition(charge, C.UNKNOWN)
            charge.status = C.UNKNOWN
            charge.failure_message = result.message[:500]
            charge.save()
            if link_missing:
                intent.save(update_fields=["latest_charge", "updated_at"])
            audit_record(
                actor=actor, action="charge.outcome_unknown", merchant=intent.merchant, obj=charge,
                after={"code": result.code, "message": result.message},
            )  # fmt: skip
        else:  # RetryableError that never reached processing: the attempt failed, nothing happened
            declined = Declined(
                code="processing_error",
                decline_code="",
                network_code="",
                message=f"The payment could not be sent to the connector ({result.code}); try again.",
            )
            _fail_attempt(intent, charge, declined, actor=actor, now=now, error_type="api_error")
            error = ApplicationError(
                declined.message,
                code="connector_unavailable",
                status=503,
                type="api_error",
                extra={"payment_intent": payment_intent_to_dict(intent)},
            )
        return _Recorded(intent, charge, error)


def _apply_checks(charge: Charge, result) -> None:
    charge.cvc_check = result.cvc_check or ""
    charge.address_line1_check = result.address_line1_check or ""
    charge.address_postal_code_check = result.address_postal_code_check or ""
    charge.risk_score = result.risk_score
    charge.risk_level = result.risk_level or ""
    if result.three_ds is not None:
        charge.three_ds = dict(result.three_ds)


def _fail_attempt(
    intent: PaymentIntent,
    charge: Charge,
    result: Declined,
    *,
    actor: Actor,
    now,
    error_type: str = "card_error",
) -> CardError:
    _apply_checks(charge, result)
    assert_charge_transition(charge, C.FAILED)
    charge.status = C.FAILED
    charge.failure_code = result.code
    charge.decline_code = result.decline_code or ""
    charge.network_code = result.network_code or ""
    charge.failure_message = result.message[:500]
    charge.gateway_reference = result.gateway_reference or charge.gateway_reference
    charge.failed_at = now
    charge.action_reference = ""
    assert_transition(intent, S.REQUIRES_PAYMENT_METHOD, action="confirm")
    intent.status = S.REQUIRES_PAYMENT_METHOD
    intent.next_action = None
    intent.last_payment_error = {
        "type": error_type,
        "code": result.code,
        "decline_code": result.decline_code or None,
        "network_decline_code": result.network_code or None,
        "message": result.message,
        "charge": charge.public_id,
        "payment_method": {
            "id": charge.payment_method.public_id if charge.payment_method_id else None,
            **(charge.payment_method_details or {}),
        },
    }
    charge.save()
    intent.save()
    audit_record(
        actor=actor, action="payment_intent.payment_failed", merchant=intent.merchant, obj=intent,
        after={"charge": charge.public_id, "code": result.code, "decline_code": result.decline_code,
               "network_code": result.network_code},
    )  # fmt: skip
    _charge_event(charge, "charge.failed")
    _intent_event(intent, "payment_intent.payment_failed")
    return CardError(
        result.message,
        code=result.code,
        decline_code=result.decline_code or None,
        extra={"charge": charge.public_id, "payment_intent": payment_intent_to_dict(intent)},
    )


def _next_action(intent: PaymentIntent, action: RequiresAction) -> dict:
    if action.kind == "display_qr_code":
        return {
            "type": "display_qr_code",
            "display_qr_code": {
                "data": action.qr_data,
                "image_url_svg": action.qr_image_url,
                "hosted_instructions_url": action.url,
                "expires_at": action.expires_at,
            },
        }
    return {
        "type": "redirect_to_url",
        "redirect_to_url": {"url": action.url, "return_url": intent.return_url or None},
        "three_d_secure": bool(action.three_ds),
        "expires_at": action.expires_at,
    }


# ---------------------------------------------------------------------------------------------
# 3DS / redirect completion
# ---------------------------------------------------------------------------------------------


def payment_intent_complete_action(
    *, intent_id: int, actor: Actor, result: str, reference: str | None = None
) -> PaymentIntent:
    """The outcome of the customer's step (3DS challenge on the ACS page, wallet approval):
    ``authenticated``/``approved`` or ``failed``/``abandoned``. Replays answer the current state."""
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id)
        if intent.status != S.REQUIRES_ACTION or intent.latest_charge_id is None:
            raise unexpected_state(intent, "3ds")
        charge = _lock_charge(intent.latest_charge_id, intent)
        if charge.status != C.REQUIRES_ACTION or (reference and reference != charge.action_reference):
            raise StateConflictError(
                "This authentication session is unknown or already completed.",
                code="payment_intent_authentication_failure",
                param="reference",
            )
        assert_transition(intent, S.PROCESSING, action="3ds")
        charge.status = C.SUBMITTING
        charge.save(update_fields=["status", "updated_at"])
        intent.status = S.PROCESSING
        intent.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, action="payment_intent.action_completed", merchant=intent.merchant, obj=intent,
            after={"charge": charge.public_id, "result": result},
        )  # fmt: skip
        action_reference = charge.action_reference
    card = _card_for(charge, actor, purpose=f"complete 3DS {charge.public_id}")
    request = _payment_request(intent, charge, card=card)
    outcome = gateway.complete_action(
        connector=charge.connector,
        request=request,
        kind="redirect" if charge.payment_method_type in REDIRECT_PAYMENT_METHOD_TYPES else "three_d_secure",
        reference=action_reference,
        payload={"result": result},
    )
    if isinstance(outcome, Pending):
        # the provider still waits for the customer: back to requires_action
        return _revert_to_action(intent.pk, charge.pk, actor=actor)
    return record_authorization_result(
        intent_id=intent.pk, charge_id=charge.pk, result=outcome, actor=actor, capture=request.capture
    )


def _revert_to_action(intent_id: int, charge_id: int, *, actor: Actor) -> PaymentIntent:
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id)
        charge = _lock_charge(charge_id, intent)
        if charge.status in (C.SUBMITTING, C.UNKNOWN) and intent.status == S.PROCESSING:
            charge.status = C.REQUIRES_ACTION
            charge.save(update_fields=["status", "updated_at"])
            intent.status = S.REQUIRES_ACTION
            intent.save(update_fields=["status", "updated_at"])
    return intent


# ---------------------------------------------------------------------------------------------
# capture / cancel / expire
# ---------------------------------------------------------------------------------------------


def payment_intent_capture(
    *, intent_id: int, actor: Actor, amount_to_capture: int | None = None, reason: str = ""
) -> PaymentIntent:
    """Captures all or part of the authorization; the remainder is released."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id)
        if intent.status != S.REQUIRES_CAPTURE or intent.latest_charge_id is None:
            raise unexpected_state(intent, "capture")
        charge = _lock_charge(intent.latest_charge_id, intent)
        amount = intent.amount_capturable if amount_to_capture is None else amount_to_capture
        if amount <= 0:
            raise InvalidRequestError(
                "amount_to_capture must be a positive integer.",
                code="amount_too_small",
                param="amount_to_capture",
            )
        if amount > intent.amount_capturable:
            raise InvalidRequestError(
                f"amount_to_capture ({amount}) is greater than the amount capturable "
                f"({intent.amount_capturable}).",
                code="amount_too_large",
                param="amount_to_capture",
            )
        if charge.authorization_expires_at and charge.authorization_expires_at <= now:
            raise StateConflictError(
                "The authorization has expired and can no longer be captured.",
                code="charge_expired_for_capture",
            )
        assert_transition(intent, S.PROCESSING, action="capture")
        charge.pending_operation = Charge.Operation.CAPTURE
        charge.pending_operation_amount = amount
        charge.pending_since = now
        charge.save(
            update_fields=["pending_operation", "pending_operation_amount", "pending_since", "updated_at"]
        )
        intent.status = S.PROCESSING
        intent.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, action="payment_intent.capture_requested", merchant=intent.merchant, obj=intent,
            after={"amount_to_capture": amount, "charge": charge.public_id}, reason=reason,
        )  # fmt: skip
    result = gateway.capture(
        connector=charge.connector,
        idempotency_key=f"{charge.public_id}:capture",
        gateway_reference=charge.gateway_reference,
        amount=amount,
        currency=charge.currency,
        metadata=intent.metadata,
    )
    return record_pending_operation_result(
        intent_id=intent.pk, charge_id=charge.pk, operation="capture", result=result, actor=actor
    )


def payment_intent_cancel(
    *, intent_id: int, actor: Actor, cancellation_reason: str = "", reason: str = ""
) -> PaymentIntent:
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id)
        if intent.status not in CANCELLABLE:
            raise unexpected_state(intent, "cancel")
        charge = _lock_charge(intent.latest_charge_id, intent) if intent.latest_charge_id else None
        needs_void = intent.status == S.REQUIRES_CAPTURE and charge is not None
        if not needs_void:
            _mark_canceled(
                intent, charge, actor=actor, cancellation_reason=cancellation_reason, reason=reason
            )
            return intent
        assert_transition(intent, S.PROCESSING, action="cancel")
        charge.pending_operation = Charge.Operation.VOID
        charge.pending_operation_amount = intent.amount_capturable
        charge.pending_since = timezone.now()
        charge.save(
            update_fields=["pending_operation", "pending_operation_amount", "pending_since", "updated_at"]
        )
        intent.status = S.PROCESSING
        intent.cancellation_reason = cancellation_reason or ""
        intent.save(update_fields=["status", "cancellation_reason", "updated_at"])
        audit_record(
            actor=actor, action="payment_intent.cancel_requested", merchant=intent.merchant, obj=intent,
            after={"cancellation_reason": cancellation_reason, "charge": charge.public_id}, reason=reason,
        )  # fmt: skip
    result = gateway.void(
        connector=charge.connector,
        idempotency_key=f"{charge.public_id}:void",
        gateway_reference=charge.gateway_reference,
        amount=charge.amount_authorized,
        currency=charge.currency,
        metadata=intent.metadata,
    )
    return record_pending_operation_result(
        intent_id=intent.pk, charge_id=charge.pk, operation="void", result=result, actor=actor
    )


def _mark_canceled(
    intent: PaymentIntent, charge: Charge | None, *, actor: Actor, cancellation_reason: str, reason: str = "",
    charge_event: str = "",
) -> None:  # fmt: skip
    now = timezone.now()
    assert_transition(intent, S.CANCELED, action="cancel")
    if charge is not None and charge.status in (C.REQUIRES_ACTION, C.AUTHORIZED):
        charge.status = C.CANCELED
        charge.canceled_at = now
        charge.action_reference = ""
        charge.pending_operation = ""
        charge.pending_operation_amount = None
        charge.pending_since = None
        charge.save()
        if charge_event:
            _charge_event(charge, charge_event)
    intent.status = S.CANCELED
    intent.cancellation_reason = cancellation_reason or intent.cancellation_reason or ""
    intent.canceled_at = now
    intent.amount_capturable = 0
    intent.next_action = None
    intent.save()
    audit_record(
        actor=actor, action="payment_intent.canceled", merchant=intent.merchant, obj=intent,
        after={"cancellation_reason": intent.cancellation_reason}, reason=reason,
    )  # fmt: skip
    _intent_event(intent, "payment_intent.canceled")


def record_pending_operation_result(
    *, intent_id: int, charge_id: int, operation: str, result, actor: Actor, raise_errors: bool = True
) -> PaymentIntent:
    """Step 3 of a capture or void (also the janitor's, with the provider's looked-up answer)."""
    now = timezone.now()
    error: ApplicationError | None = None
    with transaction.atomic(durable=True):
        intent = _lock_intent(intent_id)
        charge = _lock_charge(charge_id, intent)
        intent.latest_charge = charge
        if charge.pending_operation != operation:
            return intent  # already recorded
        amount = charge.pending_operation_amount or 0
        if isinstance(result, Approved) and operation == "capture":
            charge.status = C.SUCCEEDED
            charge.captured = True
            charge.amount_captured = amount
            charge.captured_at = now
            _clear_pending(charge)
            charge.save()
            intent.status = S.SUCCEEDED
            intent.amount_received = amount
            intent.amount_capturable = 0  # the remainder is released
            intent.succeeded_at = now
            intent.save()
            _ledger_on_capture(charge)
            audit_record(
                actor=actor, action="payment_intent.captured", merchant=intent.merchant, obj=intent,
                after={"amount_captured": amount, "released": charge.amount_authorized - amount,
                       "charge": charge.public_id},
            )  # fmt: skip
            _charge_event(charge, "charge.captured")
            _intent_event(intent, "payment_intent.succeeded")
        elif isinstance(result, Approved) and operation == "void":
            _clear_pending(charge)
            _mark_canceled(intent, charge, actor=actor, cancellation_reason=intent.cancellation_reason,
                           charge_event="charge.voided")  # fmt: skip
        elif isinstance(result, RetryableError) and result.outcome_unknown:
            # leave it pending: the janitor asks the provider
            audit_record(
                actor=actor, action=f"charge.{operation}_outcome_unknown", merchant=intent.merchant, obj=charge,
                after={"code": result.code},
            )  # fmt: skip
            return intent
        elif isinstance(result, Pending):
            return intent
        elif isinstance(result, Declined) and result.code == "charge_expired_for_capture":
            _clear_pending(charge)
            intent.status = S.REQUIRES_CAPTURE  # so the cancel below is a legal transition
            _mark_canceled(
                intent, charge, actor=actor, cancellation_reason="automatic", charge_event="charge.expired"
            )
            error = StateConflictError(
                "The authorization has expired and can no longer be captured.",
                code="charge_expired_for_capture",
            )
        else:  # refused or never reached the provider: back to requires_capture
            _clear_pending(charge)
            charge.save()
            assert_transition(intent, S.REQUIRES_CAPTURE, action=operation)
            intent.status = S.REQUIRES_CAPTURE
            if operation == "void":
                intent.cancellation_reason = ""
            intent.save()
            message = getattr(result, "message", "The connector refused the operation.")
            audit_record(
                actor=actor, action=f"charge.{operation}_failed", merchant=intent.merchant, obj=charge,
                after={"code": getattr(result, "code", ""), "message": message},
            )  # fmt: skip
            if isinstance(result, RetryableError):
                error = ApplicationError(
                    f"The {operation} could not be sent to the connector ({result.code}); try again.",
                    code="connector_unavailable",
                    status=503,
                    type="api_error",
                    stored=False,
                )
            else:
                error = StateConflictError(message, code=f"{operation}_failed")
    if error is not None and raise_errors:
        raise error
    return intent


def _clear_pending(charge: Charge) -> None:
    charge.pending_operation = ""
    charge.pending_operation_amount = None
    charge.pending_since = None


def payment_intents_expire_authorizations(*, now=None, limit: int = 500) -> int:
    """Cancels uncaptured intents whose authorization has lapsed (sandbox: 7 days). Idempotent."""
    now = now or timezone.now()
    actor = Actor.system("authorization_expiry")
    ids = list(
        Charge.objects.filter(
            status=C.AUTHORIZED, authorization_expires_at__lte=now, pending_operation="",
            payment_intent__status=S.REQUIRES_CAPTURE,
        ).values_list("payment_intent_id", "id")[:limit]
    )  # fmt: skip
    done = 0
    for intent_id, charge_id in ids:
        with transaction.atomic(durable=True):
            intent = _lock_intent(intent_id)
            if intent.status != S.REQUIRES_CAPTURE or intent.latest_charge_id != charge_id:
                continue
            charge = _lock_charge(charge_id, intent)
            if charge.status != C.AUTHORIZED or charge.authorization_expires_at > now:
                continue
            _mark_canceled(
                intent, charge, actor=actor, cancellation_reason="automatic", charge_event="charge.expired"
            )
            done += 1
    return done


# ---------------------------------------------------------------------------------------------
# the re-check janitor
# ---------------------------------------------------------------------------------------------


def payment_intents_recheck(
    *, older_than: timedelta = timedelta(minutes=2), limit: int = 200
) -> dict[str, int]:
    """Resolves attempts left ``submitting``/``unknown``/``pending`` and captures/voids left in
    flight by a crash or a timeout, by asking the provider under our own idempotency key."""
    cutoff = timezone.now() - older_than
    actor = Actor.system("recheck_janitor")
    counts = {"authorizations": 0, "operations": 0}
    stuck = Charge.objects.filter(status__in=[C.SUBMITTING, C.UNKNOWN, C.PENDING], updated_at__lte=cutoff)
    for charge in stuck.select_related("connector", "payment_intent")[:limit]:
        intent = charge.payment_intent
        result = gateway.lookup(connector=charge.connector, idempotency_key=charge.provider_key)
        if result is None:
            result = RetryableError(code="not_received", message="The connector never received the attempt.")
        if isinstance(result, Pending):
            if charge.action_reference and charge.status in (C.SUBMITTING, C.UNKNOWN):
                _revert_to_action(intent.pk, charge.pk, actor=actor)  # the customer's step is still open
            continue  # still pending at the provider
        if isinstance(result, RetryableError) and result.code != "not_received":
            continue  # could not ask: try again next run
        record_authorization_result(
            intent_id=intent.pk, charge_id=charge.pk, result=result, actor=actor,
            capture=intent.capture_method == PaymentIntent.CaptureMethod.AUTOMATIC, raise_errors=False,
        )  # fmt: skip
        counts["authorizations"] += 1
    in_flight = Charge.objects.exclude(pending_operation="").filter(pending_since__lte=cutoff)
    for charge in in_flight.select_related("connector")[:limit]:
        operation = charge.pending_operation
        result = gateway.lookup(connector=charge.connector, idempotency_key=f"{charge.public_id}:{operation}")
        if result is None:
            result = RetryableError(
                code="not_received", message="The connector never received the operation."
            )
        elif isinstance(result, RetryableError):
            continue
        record_pending_operation_result(
            intent_id=charge.payment_intent_id, charge_id=charge.pk, operation=operation, result=result,
            actor=actor, raise_errors=False,
        )  # fmt: skip
        counts["operations"] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# inbound gateway events (issue 6 calls this after verifying and deduplicating)
# ---------------------------------------------------------------------------------------------


def charge_apply_inbound_event(*, connector, event) -> str:
    """Maps a verified provider event about a charge to our state. Returns what happened:
    ``applied``, ``ignored`` (already in that state / replay) or ``unknown_reference``."""
    charge = (
        Charge.objects.filter(connector=connector, gateway_reference=event.gateway_reference)
        .select_related("payment_intent")
        .order_by("-id")
        .first()
    )
    if charge is None:
        return "unknown_reference"
    actor = Actor.system(f"connector:{connector.code}")
    intent = charge.payment_intent
    capture = intent.capture_method == PaymentIntent.CaptureMethod.AUTOMATIC
    if event.type in ("charge.succeeded", "charge.authorized"):
        result = Approved(gateway_reference=event.gateway_reference, amount=event.amount)
    elif event.type == "charge.failed":
        data = event.data or {}
        result = Declined(
            decline_code=str(data.get("decline_code", "generic_decline")),
            network_code=str(data.get("network_code", "05")),
            message=str(data.get("message", "Your card was declined.")),
            gateway_reference=event.gateway_reference,
        )
    else:
        return "ignored"
    if charge.status not in (C.SUBMITTING, C.UNKNOWN, C.PENDING):
        return "ignored"
    record_authorization_result(
        intent_id=intent.pk,
        charge_id=charge.pk,
        result=result,
        actor=actor,
        capture=capture,
        raise_errors=False,
    )
    return "applied"
