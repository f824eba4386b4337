"""The attributes a rule may name (``:attribute:``), their type, and whether a payment may lack them.

A missing attribute is ``None`` in the context. ``always_present`` attributes are filled for
every payment (the linter knows ``is_missing`` on them is always false, and ``not`` over them is
safe).
"""

from __future__ import annotations

from dataclasses import dataclass

NUMBER, STRING, BOOL = "number", "string", "bool"


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    always_present: bool = False
    description: str = ""


_BASE = [
    Attribute("amount", NUMBER, True, "Amount in the currency's minor units."),
    Attribute("amount_in_usd", NUMBER, False, "Amount converted to US cents through the FX table."),
    Attribute("currency", STRING, True, "ISO currency code, lower case."),
    Attribute("payment_method_type", STRING, True, "card, apple_pay, paypal, …"),
    Attribute("card_brand", STRING, False, "visa, mastercard, amex, …"),
    Attribute("card_funding", STRING, False, "credit, debit, prepaid, unknown."),
    Attribute("card_country", STRING, False, "Issuing country (ISO 3166-1 alpha-2)."),
    Attribute("card_bin", STRING, False, "The first six digits of the card number."),
    Attribute("card_fingerprint", STRING, False, "The card's keyed fingerprint."),
    Attribute("cvc_check", STRING, False, "pass, fail, unavailable, unchecked."),
    Attribute("address_line1_check", STRING, False, "pass, fail, unavailable, unchecked."),
    Attribute("address_zip_check", STRING, False, "pass, fail, unavailable, unchecked."),
    Attribute("is_3d_secure", BOOL, True, "Whether 3D Secure was (or will be) requested."),
    Attribute("three_d_secure_result", STRING, False, "authenticated, failed, … when known."),
    Attribute("billing_country", STRING, False, "The billing address's country."),
    Attribute("ip_address", STRING, False, "The client's IP address."),
    Attribute("ip_country", STRING, False, "The country of the client's IP address, when known."),
    Attribute("email", STRING, False, "The receipt, customer or billing e-mail."),
    Attribute("email_domain", STRING, False, "The e-mail's domain."),
    Attribute("customer", STRING, False, "The customer id (cus_…)."),
    Attribute("customer_age_days", NUMBER, False, "Days since the customer was created."),
    Attribute("is_off_session", BOOL, True, "A merchant-initiated payment."),
    Attribute("acquirer_risk_score", NUMBER, False, "The acquirer's own score (0-100), when it sends one."),
    Attribute("risk_score", NUMBER, True, "Clearhouse's score (0-100)."),
    Attribute("risk_level", STRING, True, "normal, elevated, highest."),
]

VELOCITY_DIMENSIONS = ("card_fingerprint", "email", "ip_address", "customer")
VELOCITY_WINDOWS = {"10m": 600, "1h": 3600, "24h": 86400}
VELOCITY_KINDS = ("attempts", "declines")

_VELOCITY = [
    Attribute(
        f"{kind}_per_{dim}_{window}",
        NUMBER,
        True,
        f"{kind.capitalize()} from the same {dim.replace('_', ' ')} in the last {window} (this attempt included).",
    )
    for kind in VELOCITY_KINDS
    for dim in VELOCITY_DIMENSIONS
    for window in VELOCITY_WINDOWS
]

ATTRIBUTES: dict[str, Attribute] = {a.name: a for a in _BASE + _VELOCITY}


def attribute(name: str) -> Attribute | None:
    """Known attribute, or a metadata key (``::key::``, a string that may be missing)."""
    if name.startswith("metadata."):
        return Attribute(name, STRING, False, "A metadata value.")
    return ATTRIBUTES.get(name)
