"""The sandbox faucet (`POST /v1/test_helpers/faucet`): a single-use, expiring `tok_…` for a test
card, tokenized through the vault like a client-side tokenization (so reuse answers
`token_already_used` and expiry `token_expired`, as for any token)."""

from __future__ import annotations

from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors.sandbox.cards import TEST_CARDS
from apps.vault.services import token_create

from ..errors import SimulationParameterInvalid


def faucet_cards() -> list[dict]:
    return [
        {
            "behaviour": card.behaviour,
            "number_last4": card.last4,
            "brand": card.brand,
            "description": card.description,
        }
        for card in TEST_CARDS
    ]


def _card_for(selector: str):
    matches = [c for c in TEST_CARDS if selector in (c.number, c.behaviour)]
    if not matches:
        raise SimulationParameterInvalid(
            name="card",
            detail="a test card number or behaviour listed by GET /v1/test_helpers/faucet",
            param="card",
        )
    return matches[0]


def faucet_token_create(*, merchant, actor: Actor, card: str = "succeeds"):
    chosen = _card_for(card)
    return token_create(
        merchant=merchant,
        livemode=False,
        number=chosen.number,
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="1234" if chosen.brand == "amex" else "123",
        actor=actor,
    )
