"""The sandbox faucet (`POST /v1/test_helpers/faucet`): a single-use, expiring `tok_…` for a test
card or a device wallet, tokenized through the vault like a client-side tokenization (so reuse
answers `token_already_used` and expiry `token_expired`, as for any token). A wallet's token
(Stripe's `card.tokenization_method`) becomes an apple_pay / google_pay payment method on use."""

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


WALLETS = ("apple_pay", "google_pay")  # the sandbox's device wallets (WALLET_TOKEN_TYPES)


def faucet_wallets() -> list[dict]:
    return [
        {"wallet": w, "description": f"A {w} device token for the test card given as card"} for w in WALLETS
    ]


def faucet_token_create(*, merchant, actor: Actor, card: str = "succeeds", wallet: str = ""):
    chosen = _card_for(card)
    if wallet and wallet not in WALLETS:
        raise SimulationParameterInvalid(name="wallet", detail=f"one of {', '.join(WALLETS)}", param="wallet")
    return token_create(
        tokenization_method=wallet,
        merchant=merchant,
        livemode=False,
        number=chosen.number,
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="1234" if chosen.brand == "amex" else "123",
        actor=actor,
    )
