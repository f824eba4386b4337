"""Vault test data: payment methods and customers made through the services, API request bodies."""

from apps.audit.services import Actor
from apps.vault import services

ACTOR = Actor.system("tests")


def card_payload(number="4242424242424242", *, exp_month=12, exp_year=2034, cvc="123", **extra):
    """A POST /v1/payment_methods body for a card."""
    card = {"number": number, "exp_month": exp_month, "exp_year": exp_year}
    if cvc is not None:
        card["cvc"] = cvc
    return {"type": "card", "card": card, **extra}


def make_card(merchant, number="4242424242424242", **kw):
    """A card payment method in test mode, expiring 12/2034."""
    return services.payment_method_create_card(
        merchant=merchant,
        livemode=False,
        number=number,
        exp_month=12,
        exp_year=2034,
        cvc="123",
        actor=ACTOR,
        **kw,
    )


def make_token(merchant, number="4242424242424242", *, actor=ACTOR):
    """A single-use card token in test mode, expiring 1/2035, without a CVC."""
    return services.token_create(
        merchant=merchant, livemode=False, number=number, exp_month=1, exp_year=2035, cvc=None, actor=actor
    )
