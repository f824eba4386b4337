"""The sandbox acquirer's test-card table (Stripe's documented test numbers).

This table and the tests are the only places a card number may be written down.
A number that is not in the table behaves like 4242 4242 4242 4242 (approved), so
demo data made with other well-known test numbers keeps working.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    behaviour: str
    description: str
    funding: str = "credit"
    country: str = "US"
    # decline: Stripe error ``code`` (card_declined, expired_card, incorrect_cvc, processing_error)
    code: str = ""
    decline_code: str = ""
    network_code: str = "00"
    # 3DS: required | required_on_session | supported | not_supported
    three_ds: str = "supported"
    # decline that happens only after a successful 3DS challenge
    decline_after_authentication: bool = False
    cvc_check: str = "pass"
    address_line1_check: str = "pass"
    address_postal_code_check: str = "pass"
    risk_level: str = "normal"
    risk_score: int | None = None
    after_capture: str = ""  # dispute_fraudulent | dispute_product_not_received | dispute_inquiry
    refund: str = "succeeds"  # succeeds | fails_async

    __test__ = False  # not a pytest test class

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def declines(self) -> bool:
        return bool(self.decline_code)

    def as_public_dict(self) -> dict:
        data = asdict(self)
        data["object"] = "test_card"
        return data


def _ok(number, brand, description, **kw) -> TestCard:
    return TestCard(number=number, brand=brand, behaviour="succeeds", description=description, **kw)


def _decline(number, behaviour, description, *, code="card_declined", decline_code, network_code, **kw):
    return TestCard(
        number=number,
        brand=kw.pop("brand", "visa"),
        behaviour=behaviour,
        description=description,
        code=code,
        decline_code=decline_code,
        network_code=network_code,
        **kw,
    )


TEST_CARDS: tuple[TestCard, ...] = (
    # --- successful payments, by brand -------------------------------------------------
    _ok("4242424242424242", "visa", "Visa: succeeds."),
    _ok("4000056655665556", "visa", "Visa (debit): succeeds.", funding="debit"),
    _ok("5555555555554444", "mastercard", "Mastercard: succeeds."),
    _ok("2223003122003222", "mastercard", "Mastercard (2-series): succeeds."),
    _ok("5200828282828210", "mastercard", "Mastercard (debit): succeeds.", funding="debit"),
    _ok("5105105105105100", "mastercard", "Mastercard (prepaid): succeeds.", funding="prepaid"),
    _ok("378282246310005", "amex", "American Express: succeeds."),
    _ok("371449635398431", "amex", "American Express: succeeds."),
    _ok("6011111111111117", "discover", "Discover: succeeds."),
    _ok("6011000990139424", "discover", "Discover: succeeds."),
    _ok("3056930009020004", "diners", "Diners Club: succeeds."),
    _ok("36227206271667", "diners", "Diners Club (14-digit): succeeds."),
    _ok("3566002020360505", "jcb", "JCB: succeeds.", country="JP"),
    _ok("6200000000000005", "unionpay", "UnionPay: succeeds.", country="CN"),
    _ok(
        "4000000000000077",
        "visa",
        "Succeeds; funds are added directly to the available balance (bypassing pending).",
    ),
    # --- address / cvc checks ----------------------------------------------------------
    _ok(
        "4000000000000010",
        "visa",
        "Succeeds, but address_line1_check and address_postal_code_check fail.",
        address_line1_check="fail",
        address_postal_code_check="fail",
    ),
    _ok(
        "4000000000000036",
        "visa",
        "Succeeds, but address_postal_code_check fails.",
        address_postal_code_check="fail",
    ),
    # --- declines ----------------------------------------------------------------------
    _decline(
        "4000000000000002",
        "generic_decline",
        "Declined with a generic_decline code (network 05, do not honour).",
        decline_code="generic_decline",
        network_code="05",
    ),
    _decline(
        "4000000000000341",
        "generic_decline",
        "Attaching to a customer succeeds, but every payment is declined (generic_decline).",
        decline_code="generic_decline",
        network_code="05",
    ),
    _decline(
        "4000000000009995",
        "insufficient_funds",
        "Declined with an insufficient_funds code (network 51).",
        decline_code="insufficient_funds",
        network_code="51",
    ),
    _decline(
        "4000000000009987",
        "lost_card",
        "Declined with a lost_card code (network 41).",
        decline_code="lost_card",
        network_code="41",
    ),
    _decline(
        "4000000000009979",
        "stolen_card",
        "Declined with a stolen_card code (network 43).",
        decline_code="stolen_card",
        network_code="43",
    ),
    _decline(
        "4000000000000069",
        "expired_card",
        "Declined with an expired_card code (network 54).",
        code="expired_card",
        decline_code="expired_card",
        network_code="54",
    ),
    _decline(
        "4000000000000127",
        "incorrect_cvc",
        "Declined with an incorrect_cvc code (network N7); cvc_check fails.",
        code="incorrect_cvc",
        decline_code="incorrect_cvc",
        network_code="N7",
        cvc_check="fail",
    ),
    _decline(
        "4000000000000101",
        "cvc_check_fail",
        "cvc_check fails when a CVC is given; the issuer declines (network 82).",
        code="incorrect_cvc",
        decline_code="incorrect_cvc",
        network_code="82",
        cvc_check="fail",
    ),
    _decline(
        "4000000000000119",
        "processing_error",
        "Declined with a processing_error code (network 96).",
        code="processing_error",
        decline_code="processing_error",
        network_code="96",
    ),
    _decline(
        "4000000000006975",
        "card_velocity_exceeded",
        "Declined with a card_velocity_exceeded code (network 61).",
        decline_code="card_velocity_exceeded",
        network_code="61",
    ),
    # --- fraud -------------------------------------------------------------------------
    _decline(
        "4100000000000019",
        "fraudulent",
        "Blocked as fraudulent (risk level highest, network 59).",
        decline_code="fraudulent",
        network_code="59",
        risk_level="highest",
        risk_score=95,
    ),
    _decline(
        "4000000000004954",
        "highest_risk",
        "Blocked: highest risk level (network 59).",
        decline_code="fraudulent",
        network_code="59",
        risk_level="highest",
        risk_score=90,
    ),
    _ok(
        "4000000000009235",
        "visa",
        "Succeeds with an elevated risk level.",
        risk_level="elevated",
        risk_score=65,
    ),
    # --- 3D Secure ---------------------------------------------------------------------
    TestCard(
        number="4000002760003184",
        brand="visa",
        behaviour="three_ds_required",
        description="3DS always required: every payment, on or off session, needs a challenge.",
        three_ds="required",
        country="DE",
    ),
    TestCard(
        number="4000000000003220",
        brand="visa",
        behaviour="three_ds_required",
        description="3DS2 always required: every payment needs a challenge.",
        three_ds="required",
    ),
    TestCard(
        number="4000002500003155",
        brand="visa",
        behaviour="three_ds_required_on_session",
        description="3DS required on session; off-session payments succeed without a challenge.",
        three_ds="required_on_session",
        country="IE",
    ),
    TestCard(
        number="4000008400001629",
        brand="visa",
        behaviour="three_ds_then_declined",
        description="3DS required; after a successful challenge the issuer declines (card_declined).",
        three_ds="required",
        decline_after_authentication=True,
        code="card_declined",
        decline_code="generic_decline",
        network_code="05",
    ),
    _ok(
        "4000000000003055",
        "visa",
        "3DS supported but not required: succeeds without a challenge.",
    ),
    # --- after capture -----------------------------------------------------------------
    # Stripe's testing documentation, "Disputes" (https://docs.stripe.com/testing#disputes), with
    # the PaymentMethod ids Stripe names for them (pm_card_createDispute…).
    TestCard(
        number="4000000000000259",
        brand="visa",
        behaviour="dispute_fraudulent",
        description="Succeeds; after capture the payment is disputed as fraudulent (pm_card_createDispute).",
        after_capture="dispute_fraudulent",
    ),
    TestCard(
        number="4000000000002685",
        brand="visa",
        behaviour="dispute_product_not_received",
        description="Succeeds; after capture the payment is disputed as product not received "
        "(pm_card_createDisputeProductNotReceived).",
        after_capture="dispute_product_not_received",
    ),
    TestCard(
        number="4000000000001976",
        brand="visa",
        behaviour="dispute_inquiry",
        description="Succeeds; after capture the issuer opens an inquiry, no funds move "
        "(pm_card_createDisputeInquiry).",
        after_capture="dispute_inquiry",
    ),
    TestCard(
        number="4000000000005126",
        brand="visa",
        behaviour="refund_fails_async",
        description="Succeeds; a refund starts pending and then fails asynchronously.",
        refund="fails_async",
    ),
)

_BY_NUMBER = {card.number: card for card in TEST_CARDS}
DEFAULT_CARD = _BY_NUMBER["4242424242424242"]


def card_for_number(number: str) -> TestCard:
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    return _BY_NUMBER.get(digits, DEFAULT_CARD)


def is_listed(number: str) -> bool:
    return "".join(ch for ch in str(number) if ch.isdigit()) in _BY_NUMBER


# Stripe's test ids, test mode only: `tok_<name>` as a card token and `pm_card_<name>` as a
# payment method each stand for a fresh card with the number below (its row above decides what it
# does), so an integration written against Stripe's test mode runs unchanged.
STRIPE_TEST_IDS: dict[str, str] = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "mastercard_debit": "5200828282828210",
    "mastercard_prepaid": "5105105105105100",
    "amex": "378282246310005",
    "discover": "6011111111111117",
    "diners": "3056930009020004",
    "jcb": "3566002020360505",
    "unionpay": "6200000000000005",
    "bypassPending": "4000000000000077",
    "chargeDeclined": "4000000000000002",
    "visa_chargeDeclined": "4000000000000341",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "cvcCheckFail": "4000000000000101",
    "chargeDeclinedProcessingError": "4000000000000119",
    "chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "chargeDeclinedFraudulent": "4100000000000019",
    "radarBlock": "4100000000000019",
    "riskLevelHighest": "4000000000004954",
    "riskLevelElevated": "4000000000009235",
    "authenticationRequired": "4000002760003184",
    "threeDSecure2Required": "4000000000003220",
    "threeDSecureRequired": "4000000000003220",
    "authenticationRequiredOnSetup": "4000002500003155",
    "authenticationRequiredChargeDeclinedInsufficientFunds": "4000008400001629",
    "threeDSecureOptional": "4000000000003055",
    "createDispute": "4000000000000259",
    "createDisputeProductNotReceived": "4000000000002685",
    "createDisputeInquiry": "4000000000001976",
    "refundFail": "4000000000005126",
}
_TEST_ID_PREFIXES = ("pm_card_", "tok_")


def card_for_test_id(value: str) -> TestCard | None:
    """The test card a Stripe test id (`tok_visa`, `pm_card_chargeDeclined`, …) stands for, or None."""
    for prefix in _TEST_ID_PREFIXES:
        if isinstance(value, str) and value.startswith(prefix):
            number = STRIPE_TEST_IDS.get(value.removeprefix(prefix))
            return _BY_NUMBER[number] if number else None
    return None
