"""What a connector account can take: the adapter's declared matrix, narrowed per account.

A matrix has list keys (``None`` = any), amount bounds and feature flags. An account may only
narrow its adapter's matrix: a list becomes a subset, the amount window shrinks, a feature may be
switched off but never on. Routing checks a payment against the effective matrix and names the
first capability that rules the account out (``currency_not_supported``, …).

The keys, and what an adapter declares with them (``ConnectorAdapter.capabilities``):

* list keys (``None`` = any): ``payment_method_types`` (``card``, ``apple_pay``, ``ideal``, a
  wallet's own type such as ``zaincash``), ``card_networks`` (lower case), ``currencies`` (ISO
  4217), ``countries`` (ISO 3166-1 alpha-2), ``flows`` — how a payment completes:
  ``direct`` (one server call answers), ``three_d_secure`` (a 3DS redirect round trip),
  ``redirect`` (a hosted page), ``qr`` (the customer scans a code), ``deep_link`` (an app link),
  ``wallet_token`` (a device wallet's token, e.g. Apple Pay);
* amount bounds in minor units: ``min_amount``, ``max_amount``;
* operation flags (True: the adapter really does it; False: it answers "not supported" and the
  gateway never calls it — see ``OPERATION_FLAGS``): ``three_d_secure``, ``manual_capture``,
  ``partial_capture``, ``voids``, ``refunds``, ``partial_refunds``, ``lookup`` (find an
  authorization by our idempotency key / reference), ``lookup_capture``, ``lookup_void``,
  ``lookup_refund`` (find that follow-up on a payment: see ``LOOKUP_FLAGS``; a provider without
  one is left to its notifications, and the re-check janitor escalates what never answers),
  ``webhooks`` (signed callbacks verified),
  ``settlement_reports``, ``payouts``.

A key an adapter does not declare takes ``DEFAULTS`` (what every adapter of the first interface
did: all operations of the abstract interface).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LIST_KEYS = ("payment_method_types", "card_networks", "currencies", "countries", "flows")
FLAG_KEYS = (
    "three_d_secure",
    "manual_capture",
    "partial_capture",
    "voids",
    "refunds",
    "partial_refunds",
    "lookup",
    "lookup_capture",
    "lookup_void",
    "lookup_refund",
    "webhooks",
    "settlement_reports",
    "payouts",
)
AMOUNT_KEYS = ("min_amount", "max_amount")
KEYS = (*LIST_KEYS, *AMOUNT_KEYS, *FLAG_KEYS)
FLOWS = ("direct", "three_d_secure", "redirect", "qr", "deep_link", "wallet_token")

# What an undeclared key means (adapters written before a key existed keep their behaviour).
DEFAULTS: dict[str, Any] = {
    "payment_method_types": ["card"],
    "card_networks": None,
    "currencies": None,
    "countries": None,
    "flows": None,
    "min_amount": None,
    "max_amount": None,
    "three_d_secure": False,
    "manual_capture": True,
    "partial_capture": False,
    "voids": True,
    "refunds": True,
    "partial_refunds": True,
    "lookup": True,
    # Follow-up lookups came after the first interface: none unless declared.
    "lookup_capture": False,
    "lookup_void": False,
    "lookup_refund": False,
    "webhooks": True,
    "settlement_reports": True,
    "payouts": False,
}

# ``ConnectorAdapter.lookup``'s ``operation`` → the flag that must be True for the gateway to ask.
LOOKUP_FLAGS = {
    "authorize": "lookup",
    "capture": "lookup_capture",
    "void": "lookup_void",
    "refund": "lookup_refund",
}

# Adapter operation → the flag that must be True for the gateway to call it (None: always).
OPERATION_FLAGS: dict[str, str | None] = {
    "authorize": None,
    "capture": "manual_capture",
    "void": "voids",
    "refund": "refunds",
    "start_3ds": "three_d_secure",
    "complete_3ds": "three_d_secure",
    "start_redirect": "flows:redirect|qr|deep_link",
    "confirm_redirect": "flows:redirect|qr|deep_link",
    "lookup": "lookup",
    "parse_inbound_webhook": "webhooks",
    "fetch_settlement_report": "settlement_reports",
    "health": None,
}


def supports_lookup(matrix: Mapping[str, Any], operation: str) -> bool:
    """Whether a matrix says the provider can look ``operation`` (``LOOKUP_FLAGS``) up."""
    flag = LOOKUP_FLAGS.get(operation)
    return flag is not None and bool(with_defaults(matrix).get(flag))


def with_defaults(matrix: Mapping[str, Any]) -> dict[str, Any]:
    """An adapter's declared matrix with ``DEFAULTS`` for the keys it does not name."""
    return {key: matrix.get(key, DEFAULTS[key]) for key in KEYS}


def supports(matrix: Mapping[str, Any], operation: str) -> bool:
    """Whether a (declared or effective) matrix allows an adapter operation (``OPERATION_FLAGS``)."""
    flag = OPERATION_FLAGS.get(operation)
    if flag is None:
        return True
    full = with_defaults(matrix)
    if flag.startswith("flows:"):
        flows = full.get("flows")
        return flows is None or bool(set(flag[6:].split("|")) & set(flows))
    return bool(full.get(flag))


class CapabilityError(ValueError):
    def __init__(self, message: str, *, key: str):
        super().__init__(message)
        self.key = key


def _norm_list(key: str, values) -> list[str] | None:
    if values is None:
        return None
    if not isinstance(values, (list, tuple)) or not all(
        isinstance(v, str) and 0 < len(v) <= 40 for v in values
    ):
        raise CapabilityError(f"capabilities[{key}] must be a list of strings.", key=key)
    if key in ("currencies", "countries"):
        return sorted({v.upper() for v in values})
    return sorted({v.lower() for v in values})


def narrow(declared: Mapping[str, Any], requested: Mapping[str, Any] | None) -> dict[str, Any]:
    """The effective matrix of an account; raises CapabilityError when ``requested`` widens."""
    declared = with_defaults(declared)
    effective = dict(declared)
    for key, value in (requested or {}).items():
        if key not in KEYS:
            raise CapabilityError(f"Unknown capability: {key}.", key=key)
        if key in LIST_KEYS:
            wanted = _norm_list(key, value)
            allowed = effective[key]
            if wanted is None:
                continue
            if allowed is not None and not set(wanted) <= set(allowed):
                extra = sorted(set(wanted) - set(allowed))[0]
                raise CapabilityError(f"The provider does not support {key} {extra}.", key=key)
            effective[key] = wanted
        elif key in AMOUNT_KEYS:
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**15:
                raise CapabilityError(f"capabilities[{key}] must be a non-negative integer.", key=key)
            current = effective[key]
            if key == "min_amount":
                effective[key] = max(value, current or 0)
            else:
                effective[key] = value if current is None else min(value, current)
        else:
            if not isinstance(value, bool):
                raise CapabilityError(f"capabilities[{key}] must be a boolean.", key=key)
            if value and not declared.get(key):
                raise CapabilityError(f"The provider does not support {key}.", key=key)
            effective[key] = value
    if (
        effective.get("max_amount") is not None
        and effective.get("min_amount") is not None
        and effective["min_amount"] > effective["max_amount"]
    ):
        raise CapabilityError("capabilities[min_amount] is above max_amount.", key="min_amount")
    return effective


@dataclass(frozen=True)
class PaymentShape:
    """What eligibility looks at in a payment (all upper/lower-cased as the matrix is)."""

    amount: int
    currency: str
    payment_method_type: str = "card"
    card_brand: str = ""
    country: str = ""  # card issuing country, else billing country
    capture_method: str = "automatic"
    three_d_secure_required: bool = False
    card_token_provider: str = ""  # the provider whose browser SDK tokenized the card, if one did


def exclusion_reason(matrix: Mapping[str, Any], payment: PaymentShape) -> str | None:
    """The first capability that rules the account out for this payment, or None."""
    types = matrix.get("payment_method_types")
    if types is not None and payment.payment_method_type.lower() not in types:
        return "payment_method_type_not_supported"
    currencies = matrix.get("currencies")
    if currencies is not None and payment.currency.upper() not in currencies:
        return "currency_not_supported"
    networks = matrix.get("card_networks")
    if payment.card_brand and networks is not None and payment.card_brand.lower() not in networks:
        return "card_network_not_supported"
    countries = matrix.get("countries")
    if payment.country and countries is not None and payment.country.upper() not in countries:
        return "country_not_supported"
    if matrix.get("min_amount") is not None and payment.amount < matrix["min_amount"]:
        return "amount_below_minimum"
    if matrix.get("max_amount") is not None and payment.amount > matrix["max_amount"]:
        return "amount_above_maximum"
    if payment.capture_method == "manual" and not matrix.get("manual_capture", True):
        return "manual_capture_not_supported"
    if payment.three_d_secure_required and not matrix.get("three_d_secure", True):
        return "three_d_secure_not_supported"
    return None
