"""Provider payment tokens: what a provider's own browser SDK hands the merchant in place of a card.

Some providers never take a card number from a server. Their browser SDK tokenizes the card and
the merchant's server passes the token on:

* Square: the Web Payments SDK's ``card.tokenize()`` answers a payment token (``cnon:…``; a card on
  file is ``ccof:…``), and ``payments.verifyBuyer()`` a buyer verification token (SCA / 3DS);
  both go into ``CreatePayment`` as ``source_id`` and ``verification_token``
  (developer.squareup.com/reference/square/payments-api/create-payment);
* Verifone: Verifone.js encrypts the card with the account's public key (``encrypted_card``, the
  key's ``public_key_alias``), or a stored card is a ``reuse_token``; both go into
  ``POST /api/v2/transactions/card`` (Verifone eCommerce API 2.38.1: EncryptedCardPaymentRequest /
  TokenPaymentRequest).

The intents API takes them as ``payment_method_data[card][square][source_id]`` … (see
``FIELDS``). ``provider_token_validate`` checks each field's shape (a clear 400 naming the
parameter) and refuses a value that is a card number; the result is what the vault encrypts
(``payment_method_create_provider_token``) and what ``vault_detokenize`` hands the adapter as
``CardData.provider_token``. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from apps.vault import cards
from apps.vault.errors import ParameterInvalid, ParameterMissing, ParameterUnknown


@dataclass(frozen=True)
class TokenField:
    pattern: re.Pattern
    max_length: int
    describe: str


_B64ISH = re.compile(r"^[A-Za-z0-9+/=_\-.:]+$")

# provider -> field -> its shape. Lengths follow the providers' references (Square's source_id and
# verification_token are opaque strings; Verifone's encrypted card is a base64 blob of a few
# hundred characters).
FIELDS: dict[str, dict[str, TokenField]] = {
    "square": {
        "source_id": TokenField(
            re.compile(r"^(?:cnon|ccof|wnon):[A-Za-z0-9_\-:+/=.]+$"),
            500,
            "a Square Web Payments SDK payment token (cnon:…) or a card on file (ccof:…)",
        ),
        "verification_token": TokenField(
            re.compile(r"^verf:[A-Za-z0-9_\-:+/=.]+$"),
            500,
            "a Square buyer verification token (verf:…, from payments.verifyBuyer())",
        ),
    },
    "verifone": {
        "encrypted_card": TokenField(_B64ISH, 4000, "a card encrypted by Verifone.js (base64)"),
        "public_key_alias": TokenField(
            re.compile(r"^[A-Za-z0-9_\-.]+$"), 100, "the alias of the public key that encrypted the card"
        ),
        "reuse_token": TokenField(re.compile(r"^[A-Za-z0-9\-]{8,64}$"), 64, "a Verifone reuse token"),
    },
}
# Which fields a token needs: one of these sets, exactly.
SHAPES: dict[str, tuple[frozenset[str], ...]] = {
    "square": (frozenset({"source_id"}), frozenset({"source_id", "verification_token"})),
    "verifone": (frozenset({"encrypted_card", "public_key_alias"}), frozenset({"reuse_token"})),
}
REQUIRED = {"square": "source_id", "verifone": "encrypted_card"}


def provider_token_validate(provider: str, fields: Mapping[str, object], *, param: str) -> dict[str, str]:
    """``{"provider": provider, <field>: <value>, …}`` or a 400 naming ``param[<field>]``."""
    known = FIELDS.get(provider)
    if known is None:
        raise ParameterUnknown(name=provider, param=param, stored=False)
    if not isinstance(fields, Mapping):
        raise ParameterInvalid(f"{param} must be an object.", param=param)
    clean: dict[str, str] = {}
    for name, value in fields.items():
        spec = known.get(name)
        if spec is None:
            raise ParameterUnknown(name=str(name)[:40], param=f"{param}[{str(name)[:40]}]", stored=False)
        where = f"{param}[{name}]"
        if not isinstance(value, str) or not value:
            raise ParameterInvalid(f"{where} must be a non-empty string.", param=where)
        if len(value) > spec.max_length or not spec.pattern.match(value):
            raise ParameterInvalid(f"{where} is not {spec.describe}.", param=where)
        if cards.contains_card_number(value):
            # A card number goes through card tokenization, never as a provider token.
            raise ParameterInvalid(f"{where} looks like a card number; it must be a {provider} token.",
                                   param=where)  # fmt: skip
        clean[name] = value
    given = frozenset(clean)
    if given not in SHAPES[provider]:
        if provider == "verifone" and "reuse_token" in given and len(given) > 1:
            raise ParameterInvalid(f"Give {param}[reuse_token] or {param}[encrypted_card], not both.",
                                   param=f"{param}[reuse_token]")  # fmt: skip
        missing = next(
            (name for shape in SHAPES[provider] if given & shape for name in sorted(shape - given)),
            REQUIRED[provider],
        )
        raise ParameterMissing(f"Missing required param: {param}[{missing}].", param=f"{param}[{missing}]")
    return {"provider": provider, **clean}


# What one authorization spends: Square's payment tokens (``cnon:`` card, ``wnon:`` digital wallet
# nonces) and the buyer verification bound to them are single-use, a card on file (``ccof:``) is
# not (Square "Take Payments": a payment token can be charged once, a card on file id reused);
# a card encrypted by Verifone.js is good for one transaction, a reuse token for many.
_SINGLE_USE = {
    "square": lambda token: str(token.get("source_id", "")).startswith(("cnon:", "wnon:")),
    "verifone": lambda token: "encrypted_card" in token,
}


def provider_token_after_use(token: dict) -> dict | None:
    """What is left of a provider token once an authorization used it: ``{"provider": …}`` alone
    for a single-use token (nothing left to send), None for a reusable one (kept as it is)."""
    provider = str(token.get("provider", ""))
    spent = _SINGLE_USE.get(provider)
    if spent is None or not spent(token):
        return None
    return {"provider": provider}
