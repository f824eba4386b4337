"""Checks of an intent's amount, payment method and customer, and what a charge copies from its
payment method; the provider request built for an attempt (the card read from the vault)."""

from __future__ import annotations

from apps.audit.services import Actor
from apps.connectors.base import PaymentRequest
from apps.connectors.sandbox.cards import card_for_test_id
from apps.core.currencies import validate_amount
from apps.core.errors import ApplicationError, ParameterInvalid, ParameterMissing
from apps.ledger.splits import validate_split_rule
from apps.merchants.selectors import merchant_settings_get
from apps.vault import services as vault_services
from apps.vault.payloads import payment_method_to_dict
from apps.vault.selectors import customer_get, payment_method_for_payment
from apps.vault.services import vault_detokenize

from ..errors import (
    AmountAboveMaximum,
    AmountNotPositive,
    CustomerMissing,
    PaymentMethodCustomerMismatch,
    PaymentMethodDeleted,
    PaymentMethodIncompatible,
    PaymentMethodMissing,
    PaymentMethodTokenConsumed,
    PaymentMethodTypeInvalid,
)
from ..models import Charge, PaymentIntent
from .common import CARD_LIKE_TYPES, REDIRECT_PAYMENT_METHOD_TYPES


def payment_method_find(*, merchant, livemode: bool, id: str, param: str = "payment_method"):
    if not livemode and card_for_test_id(id) is not None:
        # Stripe's test ids (pm_card_visa, …): a fresh card on each use, test mode only.
        return vault_services.payment_method_create_test_card(
            merchant=merchant,
            livemode=livemode,
            test_id=id,
            actor=Actor.system("stripe_test_id"),
            param=param,
        )
    try:
        pm = payment_method_for_payment(merchant=merchant, livemode=livemode, id=id)
    except ApplicationError as exc:
        raise PaymentMethodMissing(id=id, param=param) from exc
    if getattr(pm, "deleted_at", None) is not None:
        raise PaymentMethodDeleted(id=id, param=param)
    check_payment_method_usable(pm, param=param)
    return pm


def check_payment_method_usable(pm, *, param: str = "payment_method") -> None:
    """A card whose single-use provider token an authorization spent (``vault_cvc_release``)
    cannot pay again: refused here, before any attempt, rather than declined by the provider."""
    if getattr(pm, "card_token_consumed_at", None) is not None:
        raise PaymentMethodTokenConsumed(id=pm.public_id, provider=pm.card_token_provider, param=param)


def payment_method_from_token_params(*, merchant, livemode: bool, params: dict, actor: Actor) -> dict:
    """A card token given as Stripe's ``payment_method_data[type]=card`` with
    ``payment_method_data[card][token]``, or as the legacy ``source``, becomes a payment method
    (the single-use token is consumed: a second use answers ``token_already_used``); the params
    come back naming it as ``payment_method``. Test ids (``tok_visa``) make a fresh card each time.

    A provider's own token (``payment_method_data[card][square][source_id]=cnon:…``,
    ``…[verifone][encrypted_card]`` + ``[public_key_alias]`` or ``…[verifone][reuse_token]``:
    apps.vault.provider_tokens) becomes a card payment method whose vault record holds that token
    instead of a number; the adapter gets it as ``card.provider_token``, and the gateway sends it
    to that provider's accounts only."""
    params = dict(params)
    source = params.pop("source", None)
    data = params.get("payment_method_data") or {}
    token, param, provider = None, None, None
    if data.get("type") == "card":
        token, param, provider = _card_data_token(data.get("card") or {})
        params.pop("payment_method_data")
    if source:
        if token:
            raise ParameterInvalid(
                "Give a card token as source or as payment_method_data, not both.", param="source"
            )
        token, param = source, "source"
    if token is None:
        return params
    if params.get("payment_method"):
        raise ParameterInvalid(f"Give either payment_method or {param}, not both.", param=param)
    if provider is not None:
        pm = vault_services.payment_method_create_provider_token(
            merchant=merchant, livemode=livemode, provider=provider, fields=token, actor=actor,
            param="payment_method_data[card]",
        )  # fmt: skip
    else:
        pm = vault_services.payment_method_create_from_token(
            merchant=merchant, livemode=livemode, token=token, actor=actor, param=param
        )
    params["payment_method"] = pm.public_id
    return params


# payment_method_data[card][<provider>]: a card that provider's browser SDK tokenized.
PROVIDER_TOKEN_KEYS = ("square", "verifone")


def _card_data_token(card: dict):
    """(token, param, provider) of ``payment_method_data[card]``: our card token (``tok_…``,
    provider None) or exactly one provider's token fields (a dict)."""
    given = [name for name in ("token", *PROVIDER_TOKEN_KEYS) if name in card]
    if not given:
        param = "payment_method_data[card][token]"
        raise ParameterMissing(f"Missing required param: {param}.", param=param)
    if len(given) > 1:
        raise ParameterInvalid(
            f"Give one of payment_method_data[card][{given[0]}] and payment_method_data[card][{given[1]}].",
            param=f"payment_method_data[card][{given[1]}]",
        )
    name = given[0]
    param = f"payment_method_data[card][{name}]"
    return card[name], param, (None if name == "token" else name)


def customer_find(*, merchant, livemode: bool, id: str):
    try:
        return customer_get(merchant=merchant, livemode=livemode, id=id)
    except ApplicationError as exc:
        raise CustomerMissing(id=id) from exc


def payment_method_snapshot(pm) -> tuple[str, dict, str]:
    """(type, payment_method_details, last4) copied onto the charge; never the number."""
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
        raise AmountNotPositive(param=param)
    validate_amount(amount, currency, param=param)
    limit = merchant_settings.max_authorization_amount
    if limit and currency == merchant.default_currency and amount > limit:
        raise AmountAboveMaximum(limit=limit, param=param)


def validate_split(split: list[dict] | None) -> list[dict] | None:
    """The ledger's split rule (apps.ledger.splits): account types SystemOwner / ServiceOwner /
    Partner (aliases accepted, stored canonical), `percentage_bp` or `percentage` per entry, the
    percentages summing to 100%. Stored as [{account_type, account_id, percentage_bp}], the shape
    the ledger's capture posting reads. None means no split."""
    if split is None:
        return None
    return validate_split_rule(split, param="split")


def validate_types(types: list[str], merchant_settings) -> list[str]:
    allowed = set(merchant_settings.allowed_payment_method_types or [])
    supported = CARD_LIKE_TYPES | REDIRECT_PAYMENT_METHOD_TYPES
    for index, pm_type in enumerate(types):
        if pm_type not in supported or (allowed and pm_type not in allowed):
            raise PaymentMethodTypeInvalid(pm_type=pm_type, param=f"payment_method_types[{index}]")
    return list(dict.fromkeys(types))


def check_payment_method_fits(pm, *, types: list[str], customer) -> str:
    pm_type = getattr(pm, "type", "card") or "card"
    if pm_type not in types:
        raise PaymentMethodIncompatible(pm_type=pm_type)
    pm_customer_id = getattr(pm, "customer_id", None)
    if pm_customer_id and (customer is None or pm_customer_id != customer.pk):
        raise PaymentMethodCustomerMismatch()
    return pm_type


# --- the provider request -------------------------------------------------------------------


def _three_ds_policy(intent: PaymentIntent, merchant_settings) -> str:
    if intent.request_three_d_secure in ("any", "challenge"):
        return "always"
    policy = getattr(merchant_settings, "three_ds_policy", "automatic") or "automatic"
    return policy


def payment_request(
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
        wallet_token=_wallet_token(charge),
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


def _wallet_token(charge: Charge) -> str:
    """The device wallet's token a wallet payment method holds (what its provider charges)."""
    if charge.payment_method_type not in ("apple_pay", "google_pay") or charge.payment_method_id is None:
        return ""
    return getattr(charge.payment_method, "wallet_token", "") or ""


def needs_card(charge: Charge) -> bool:
    return charge.payment_method_type == "card" and charge.payment_method_id is not None


def card_for(charge: Charge, actor: Actor, purpose: str, *, audited: bool = False):
    if not needs_card(charge):
        return None
    return vault_detokenize(
        payment_method=charge.payment_method, purpose=purpose, actor=actor, audited=audited
    )


def authorize_purpose(charge: Charge) -> str:
    return f"authorize {charge.public_id}"
