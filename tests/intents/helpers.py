"""Shared helpers for intent and refund tests (real vault, real sandbox, real PostgreSQL)."""

from urllib.parse import urlsplit

from apps.audit.services import Actor
from apps.vault import services as vault_services

ACTOR = Actor.system("tests")


def make_card(merchant, number="4242424242424242", *, livemode=False, exp_month=12, exp_year=2034, customer=None,
              billing_details=None):  # fmt: skip
    return vault_services.payment_method_create_card(
        merchant=merchant,
        livemode=livemode,
        number=number,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc="1234" if number.startswith(("34", "37")) else "123",
        billing_details=billing_details,
        customer=customer,
        actor=ACTOR,
        allow_redisplay="always" if customer is not None else None,
    )


def make_customer(merchant, *, email="buyer@example.com", livemode=False):
    return vault_services.customer_create(merchant=merchant, livemode=livemode, actor=ACTOR, email=email)


def create_intent(api, **body):
    body.setdefault("amount", 2000)
    body.setdefault("currency", "usd")
    return api.post("/v1/payment_intents", body, format="json")


def pay(api, pm, **body):
    """create + confirm in one call with a tokenized card."""
    return create_intent(api, payment_method=pm.public_id, confirm=True, **body)


def path_of(url: str) -> str:
    return urlsplit(url).path
