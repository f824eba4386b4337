"""Tap's webhook signature: the ``hashstring`` header.

Built from developers.tap.company "Webhook" (validating the ``hashstring``): Tap signs each
charge and authorize webhook with an HMAC-SHA256, keyed with the account's secret API key, of
the concatenation (no separators)::

    x_id{id}x_amount{amount}x_currency{currency}x_gateway_reference{reference.gateway}
    x_payment_reference{reference.payment}x_status{status}x_created{transaction.created}

A refund webhook is signed with the same string over the refund object's own fields — its
``id``, ``amount``, ``currency``, ``reference.gateway``, ``reference.payment``, ``status`` — except
that ``x_created`` is the refund's top-level ``created`` (a refund has no ``transaction``), per the
same page's PHP example ("refund.created").

``amount`` is written with the currency's decimals (``10.500`` KWD, ``10.00`` SAR), whatever
the JSON number looked like; a missing reference counts as empty. The digest is hex and is
compared case-insensitively. The same string is what independent integrations compute (the
Node, PHP and TypeScript validators recorded in the tests).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from apps.connectors.money import AmountPrecisionError, exponent

HEADER = "hashstring"


def amount_text(amount: Any, currency: str) -> str:
    try:
        places = exponent(currency)
        value = Decimal(str(amount))
    except (AmountPrecisionError, InvalidOperation):
        return str(amount)
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def is_refund(payload: Mapping[str, Any]) -> bool:
    return payload.get("object") == "refund" or str(payload.get("id") or "").startswith("re_")


def signed_string(payload: Mapping[str, Any]) -> str:
    reference = payload.get("reference") if isinstance(payload.get("reference"), dict) else {}
    transaction = payload.get("transaction") if isinstance(payload.get("transaction"), dict) else {}
    currency = str(payload.get("currency") or "")
    created = payload.get("created") if is_refund(payload) else transaction.get("created")
    return (
        f"x_id{payload.get('id') or ''}"
        f"x_amount{amount_text(payload.get('amount'), currency)}"
        f"x_currency{currency}"
        f"x_gateway_reference{reference.get('gateway') or ''}"
        f"x_payment_reference{reference.get('payment') or ''}"
        f"x_status{payload.get('status') or ''}"
        f"x_created{created or ''}"
    )


def hashstring(payload: Mapping[str, Any], secret_key: str) -> str:
    return hmac.new(secret_key.encode(), signed_string(payload).encode(), hashlib.sha256).hexdigest()


def valid(payload: Mapping[str, Any], secret_key: str, given: str) -> bool:
    given = str(given or "").strip().lower()
    return bool(given) and bool(secret_key) and hmac.compare_digest(hashstring(payload, secret_key), given)
