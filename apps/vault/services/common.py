"""Checks and the row lock shared by the payment method services (not re-exported)."""

from __future__ import annotations

from apps.core.errors import NotFoundError
from apps.vault import cards
from apps.vault.errors import ConsentRequired
from apps.vault.models import Customer, PaymentMethod

from .records import vault_fingerprint

CONSENTED = (PaymentMethod.AllowRedisplay.ALWAYS, PaymentMethod.AllowRedisplay.LIMITED)


def customer_check(customer: Customer | None, *, merchant, livemode: bool) -> None:
    """A customer given by the caller must be this merchant's, in this mode, and not deleted."""
    if customer is None:
        return
    if (
        customer.merchant_id != merchant.pk
        or customer.livemode != livemode
        or customer.deleted_at is not None
    ):
        raise NotFoundError("customer", customer.public_id, param="customer")


def consent_check(allow_redisplay: str | None, *, customer: Customer | None) -> None:
    """Saving to a customer needs explicit consent only where the merchant asks for it
    (MerchantSettings.require_redisplay_consent); otherwise it records "unspecified", as Stripe."""
    if customer is None or allow_redisplay in CONSENTED:
        return
    settings = getattr(customer.merchant, "settings", None)
    if settings is not None and settings.require_redisplay_consent:
        raise ConsentRequired()


def payment_method_lock(pm: PaymentMethod) -> PaymentMethod:
    """The row locked (with its customer and merchant read); a deleted one is not found."""
    locked = (
        PaymentMethod.objects.select_for_update(of=("self",))
        .select_related("customer", "merchant")
        .get(pk=pm.pk)
    )
    if locked.deleted_at is not None:
        raise NotFoundError("payment_method", locked.public_id, param="payment_method")
    return locked


# The card facts a PaymentMethod and a Token both keep: display facts and the keyed fingerprint.
CARD_COLUMNS = (
    "card_brand",
    "card_last4",
    "card_exp_month",
    "card_exp_year",
    "card_funding",
    "card_country",
    "fingerprint",
)


def card_columns(card: cards.ValidatedCard, *, merchant) -> dict:
    return {
        "card_brand": card.brand,
        "card_last4": card.last4,
        "card_exp_month": card.exp_month,
        "card_exp_year": card.exp_year,
        "card_funding": card.funding,
        "card_country": card.country or "",
        "fingerprint": vault_fingerprint(merchant, "card", card.number),
    }


def metadata_merge(current: dict | None, changes: dict | None) -> dict:
    """Stripe's metadata update: a key set to "" is removed, others are set; an empty update
    clears all."""
    if not changes:
        return {}
    merged = dict(current or {})
    for key, value in changes.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
