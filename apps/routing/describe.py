"""How a dry run learns what a saved payment method is (its type, card brand and countries)
without routing importing the vault: the owner of payment methods registers a resolver in its
``AppConfig.ready()`` (``apps.intents`` does)::

    describe.register(resolve)   # resolve(merchant=, livemode=, id=) -> PaymentMethodFacts

A resolver raises an ``ApplicationError`` (404 naming the parameter) for an unknown id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PaymentMethodFacts:
    type: str
    card_brand: str = ""
    card_country: str = ""
    billing_country: str = ""


_RESOLVER: list[Callable[..., PaymentMethodFacts]] = []


def register(resolver: Callable[..., PaymentMethodFacts]) -> None:
    _RESOLVER[:] = [resolver]


def resolve(*, merchant, livemode: bool, id: str) -> PaymentMethodFacts | None:
    """The facts of the merchant's payment method, or None when no app registered a resolver."""
    if not _RESOLVER:
        return None
    return _RESOLVER[0](merchant=merchant, livemode=livemode, id=id)
