"""What every intents service shares: the payment method families, the outbox events, the
merchant settings read once per request and the UPDATE of changed columns only."""

from __future__ import annotations

import functools
from datetime import timedelta

from apps.connectors.registry import redirect_payment_method_types
from apps.merchants.selectors import merchant_settings_get
from apps.webhooks.services import event_record, events_publish_deferred

from ..models import Charge, PaymentIntent
from ..payloads import charge_to_dict, payment_intent_to_dict

AUTHORIZATION_VALIDITY = timedelta(days=7)
# The sandbox's redirect/QR types, plus the wallets real providers declare (their capability matrices).
REDIRECT_PAYMENT_METHOD_TYPES = {
    "paypal", "wechat_pay", "promptpay", "paynow", "ideal", "klarna", *redirect_payment_method_types()
}  # fmt: skip
CARD_LIKE_TYPES = {"card", "apple_pay", "google_pay"}
# The attempt states a provider answer may still resolve.
OPEN_ATTEMPT = (Charge.Status.SUBMITTING, Charge.Status.UNKNOWN, Charge.Status.PENDING)


def merchant_settings_of(merchant):
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


def intent_event(intent: PaymentIntent, type_: str, previous: dict | None = None) -> None:
    _event(intent, type_, payment_intent_to_dict(intent), previous)


def charge_event(charge: Charge, type_: str) -> None:
    _event(charge, type_, charge_to_dict(charge))


def events_together(fn):
    """The events of the request's transactions (create+confirm commits twice) are published
    once, after the last commit: one broker message and one UPDATE."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with events_publish_deferred():
            return fn(*args, **kwargs)

    return wrapper


def field_state(obj) -> dict:
    """The concrete field values of a model instance (for `save_changed`)."""
    state = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        state[field.attname] = value.copy() if isinstance(value, (dict, list)) else value
    return state


def save_changed(obj, before: dict) -> None:
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
