"""The OpenAPI components of `payloads.py`'s shapes (payment intents, charges) — schema only,
field for field. tests/schema/test_payload_schemas.py builds the payloads from real rows (declined,
3DS, captured, split, risk-blocked, …) and validates them against the generated document with every
object closed, so a key added on one side only, a wrong type or a missing `null` fails there.

The blobs services store on the rows (`next_action`, `last_payment_error`, `three_ds`, `routing`)
are described from the code that writes them (apps.intents.services.outcomes, the connectors'
`three_ds` mappings; `routing` is apps.routing.outputs'); `risk` from apps.risk.payloads, which
registers it."""

import copy
from dataclasses import fields as dataclass_fields

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from apps.connectors.sandbox.cards import TestCard
from apps.ledger.outputs import CaptureFxOutput, FeeDetailOutput
from apps.routing.outputs import ChargeRoutingOutput

from .models import Charge, PaymentIntent

CHARGE_STATUSES = ["pending", "succeeded", "failed"]  # payloads.STRIPE_CHARGE_STATUS's values
REDIRECT_TYPES = ["paypal", "wechat_pay", "promptpay", "paynow", "ideal", "klarna"]


# --- payment intent -------------------------------------------------------------------------


class RedirectToUrlOutput(serializers.Serializer):
    url = serializers.CharField()
    return_url = serializers.CharField(allow_null=True)


class DisplayQrCodeOutput(serializers.Serializer):
    data = serializers.CharField()
    image_url_svg = serializers.CharField()
    hosted_instructions_url = serializers.CharField()
    expires_at = serializers.IntegerField(allow_null=True)


class NextActionOutput(serializers.Serializer):
    """The customer's step: `redirect_to_url` (3DS challenge, wallet or bank approval) carries
    `redirect_to_url`, `three_d_secure` and `expires_at`; `display_qr_code` carries `display_qr_code`."""

    type = serializers.ChoiceField(choices=["redirect_to_url", "display_qr_code"])
    redirect_to_url = RedirectToUrlOutput(required=False)
    three_d_secure = serializers.BooleanField(required=False)
    expires_at = serializers.IntegerField(required=False, allow_null=True)
    display_qr_code = DisplayQrCodeOutput(required=False)


class CardChecksOutput(serializers.Serializer):
    cvc_check = serializers.CharField(allow_null=True)
    address_line1_check = serializers.CharField(allow_null=True)
    address_postal_code_check = serializers.CharField(allow_null=True)


class ThreeDSecureOutput(serializers.Serializer):
    """What the provider said of 3DS: `challenge_required` while the customer is at it, then
    authenticated / attempt_acknowledged / failed / wallet_authenticated, …"""

    result = serializers.CharField()
    authenticated = serializers.BooleanField(required=False)
    version = serializers.CharField(required=False, allow_null=True)
    eci = serializers.CharField(required=False, allow_null=True)


class CardDetailsOutput(serializers.Serializer):
    """The card as the charge saw it (the payment method's card, never the number). On a charge it
    also has `checks`, `three_d_secure` and `network_transaction_id`; in `last_payment_error` not."""

    brand = serializers.CharField()
    country = serializers.CharField(allow_null=True)
    display_brand = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()
    fingerprint = serializers.CharField()
    funding = serializers.CharField()
    last4 = serializers.CharField()
    wallet = serializers.JSONField(allow_null=True)
    checks = CardChecksOutput(required=False)
    three_d_secure = ThreeDSecureOutput(required=False, allow_null=True)
    network_transaction_id = serializers.CharField(required=False, allow_null=True)


class SepaDebitDetailsOutput(serializers.Serializer):
    bank_code = serializers.CharField(allow_null=True)
    country = serializers.CharField()
    fingerprint = serializers.CharField()
    last4 = serializers.CharField()


class UsBankAccountDetailsOutput(serializers.Serializer):
    account_holder_type = serializers.CharField()
    account_type = serializers.CharField()
    fingerprint = serializers.CharField()
    last4 = serializers.CharField()
    routing_number = serializers.CharField()


class WalletDetailsOutput(serializers.Serializer):
    type = serializers.CharField()
    fingerprint = serializers.CharField()
    card_brand = serializers.CharField(required=False)
    dynamic_last4 = serializers.CharField(required=False, allow_null=True)
    payer_email = serializers.CharField(required=False, allow_null=True)


class PaypalDetailsOutput(serializers.Serializer):
    """A saved PayPal method has its wallet fields; one taken by redirect has none."""

    type = serializers.CharField(required=False)
    fingerprint = serializers.CharField(required=False)
    payer_email = serializers.CharField(required=False, allow_null=True)


def _details_fields() -> dict:
    fields: dict = {
        "__doc__": "`type` and one object named after it (apps.intents.services.payment_methods).",
        "type": serializers.CharField(),
        "card": CardDetailsOutput(required=False),
        "sepa_debit": SepaDebitDetailsOutput(required=False),
        "us_bank_account": UsBankAccountDetailsOutput(required=False),
    }
    for name in ("apple_pay", "google_pay"):
        fields[name] = WalletDetailsOutput(required=False)
    fields["paypal"] = PaypalDetailsOutput(required=False)
    for name in REDIRECT_TYPES:
        if name != "paypal":
            # taken by redirect without a saved payment method: nothing more is known (`{}`)
            fields[name] = serializers.DictField(required=False, child=serializers.CharField())
    return fields


PaymentMethodDetailsOutput = type("PaymentMethodDetailsOutput", (serializers.Serializer,), _details_fields())


class PaymentErrorPaymentMethodOutput(PaymentMethodDetailsOutput):
    id = serializers.CharField(allow_null=True)


class LastPaymentErrorOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=["card_error", "api_error"])
    code = serializers.CharField()
    decline_code = serializers.CharField(allow_null=True)
    network_decline_code = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    charge = serializers.CharField()
    payment_method = PaymentErrorPaymentMethodOutput()


class SplitEntryOutput(serializers.Serializer):
    account_type = serializers.ChoiceField(choices=["SystemOwner", "ServiceOwner", "Partner"])
    account_id = serializers.CharField()
    percentage_bp = serializers.IntegerField(min_value=1, max_value=10_000)
    amount = serializers.IntegerField(required=False, help_text="The share, once captured.")


class PaymentIntentOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["payment_intent"])
    amount = serializers.IntegerField()
    amount_capturable = serializers.IntegerField()
    amount_received = serializers.IntegerField()
    amount_refunded = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=PaymentIntent.Status.choices)
    capture_method = serializers.ChoiceField(choices=PaymentIntent.CaptureMethod.values)
    confirmation_method = serializers.ChoiceField(choices=["automatic"])
    client_secret = serializers.CharField(allow_null=True)
    created = serializers.IntegerField()
    customer = serializers.CharField(allow_null=True)
    payment_method = serializers.CharField(allow_null=True)
    payment_method_types = serializers.ListField(child=serializers.CharField())
    latest_charge = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    statement_descriptor = serializers.CharField(allow_null=True)
    metadata = serializers.DictField(child=serializers.CharField())
    receipt_email = serializers.CharField(allow_null=True)
    return_url = serializers.CharField(allow_null=True)
    setup_future_usage = serializers.ChoiceField(choices=["on_session", "off_session"], allow_null=True)
    next_action = NextActionOutput(allow_null=True)
    last_payment_error = LastPaymentErrorOutput(allow_null=True)
    cancellation_reason = serializers.ChoiceField(
        choices=PaymentIntent.CancellationReason.choices, allow_null=True
    )
    canceled_at = serializers.IntegerField(allow_null=True)
    split = SplitEntryOutput(many=True, allow_null=True)
    livemode = serializers.BooleanField()


# What a publishable key holding the client secret sees (payloads.payment_intent_public_dict).
PUBLIC_FIELDS = (
    "id", "object", "amount", "currency", "status", "capture_method", "client_secret", "created",
    "payment_method", "payment_method_types", "next_action", "last_payment_error", "livemode",
    "description", "cancellation_reason", "canceled_at", "receipt_email", "setup_future_usage",
)  # fmt: skip
PaymentIntentClientOutput = type(
    "PaymentIntentClientOutput",
    (serializers.Serializer,),
    {
        "__doc__": "What a publishable key holding the client secret may see (Stripe's client-side subset).",
        **{name: copy.deepcopy(PaymentIntentOutput._declared_fields[name]) for name in PUBLIC_FIELDS},
    },
)


class _ClientSubsetIsClosed(OpenApiSerializerExtension):
    """The subset is documented closed (`additionalProperties: false`), so the retrieve and confirm
    answers' `oneOf` [full, subset] matches exactly one: the full shape has keys the subset forbids."""

    target_class = PaymentIntentClientOutput

    def map_serializer(self, auto_schema, direction):
        return {**auto_schema._map_basic_serializer(self.target, direction), "additionalProperties": False}


class PaymentIntentNextActionOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["payment_intent.next_action"])
    payment_intent = serializers.CharField()
    status = serializers.ChoiceField(choices=PaymentIntent.Status.choices)
    next_action = NextActionOutput(allow_null=True)


# --- charge ---------------------------------------------------------------------------------


class ChargeOutcomeOutput(serializers.Serializer):
    """Stripe's `outcome`: the network's answer, then risk's (`rule`, and `reason` and
    `seller_message` when risk blocked or held the payment)."""

    network_status = serializers.ChoiceField(
        choices=["approved_by_network", "declined_by_network", "not_sent_to_network"], allow_null=True
    )
    network_code = serializers.CharField(allow_null=True)
    risk_level = serializers.CharField(allow_null=True)
    risk_score = serializers.IntegerField(allow_null=True)
    type = serializers.ChoiceField(
        choices=["authorized", "issuer_declined", "blocked", "manual_review"], allow_null=True
    )
    rule = serializers.CharField(required=False, allow_null=True)
    reason = serializers.CharField(required=False)
    seller_message = serializers.CharField(required=False)


class ChargeRiskMatchedRuleOutput(serializers.Serializer):
    id = serializers.CharField()
    action = serializers.CharField()


class ChargeRiskScoreComponentOutput(serializers.Serializer):
    component = serializers.CharField()
    points = serializers.IntegerField()
    detail = serializers.CharField()


class ChargeRiskOutput(serializers.Serializer):
    """What risk decided for this attempt and why (apps.risk.payloads.risk_summary)."""

    decision = serializers.CharField()
    action = serializers.ChoiceField(choices=["allow", "block", "request_3ds", "review"])
    source = serializers.ChoiceField(choices=["rule", "override", "card_testing_guard", "default"])
    rule_set_version = serializers.IntegerField(allow_null=True)
    matched_rules = ChargeRiskMatchedRuleOutput(many=True)
    risk_score = serializers.IntegerField()
    risk_level = serializers.CharField()
    score_components = ChargeRiskScoreComponentOutput(many=True)
    acquirer_risk_score = serializers.IntegerField(allow_null=True)
    acquirer_risk_level = serializers.CharField(allow_null=True)


class ChargeOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["charge"])
    amount = serializers.IntegerField()
    amount_authorized = serializers.IntegerField()
    amount_captured = serializers.IntegerField()
    amount_refunded = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=CHARGE_STATUSES)
    attempt_status = serializers.ChoiceField(choices=Charge.Status.choices)
    captured = serializers.BooleanField()
    paid = serializers.BooleanField()
    refunded = serializers.BooleanField()
    payment_intent = serializers.CharField()
    payment_method = serializers.CharField(allow_null=True)
    payment_method_details = PaymentMethodDetailsOutput()
    connector = serializers.CharField()
    gateway_reference = serializers.CharField(allow_null=True)
    authorization_code = serializers.CharField(allow_null=True)
    outcome = ChargeOutcomeOutput()
    failure_code = serializers.CharField(allow_null=True)
    failure_message = serializers.CharField(allow_null=True)
    decline_code = serializers.CharField(allow_null=True)
    three_d_secure = ThreeDSecureOutput(allow_null=True)
    authorized_at = serializers.IntegerField(allow_null=True)
    authorization_expires_at = serializers.IntegerField(allow_null=True)
    captured_at = serializers.IntegerField(allow_null=True)
    application_fee_amount = serializers.IntegerField(allow_null=True)
    fee_details = FeeDetailOutput(many=True, allow_null=True)
    fx = CaptureFxOutput(allow_null=True)
    routing = ChargeRoutingOutput(allow_null=True)
    risk = ChargeRiskOutput(allow_null=True)
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


# --- the sandbox's test cards -----------------------------------------------------------------

_FIELD_OF_TYPE = {
    "str": lambda: serializers.CharField(),
    "bool": lambda: serializers.BooleanField(),
    "int | None": lambda: serializers.IntegerField(allow_null=True),
}
TestCardOutput = type(
    "TestCardOutput",
    (serializers.Serializer,),
    {
        "__doc__": "One of the sandbox acquirer's test cards and what it does (GET /v1/test/cards).",
        "object": serializers.ChoiceField(choices=["test_card"]),
        **{f.name: _FIELD_OF_TYPE[f.type]() for f in dataclass_fields(TestCard)},
    },
)
