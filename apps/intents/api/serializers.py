"""Input serializers of the payment intent API (the representations are in apps.intents.payloads)."""

from rest_framework import serializers

from apps.core.rest import AmountField, CurrencyField, MetadataField, StrictBooleanField, StrictSerializer

from ..services.common import REDIRECT_PAYMENT_METHOD_TYPES

CANCELLATION_REASONS = ["duplicate", "fraudulent", "requested_by_customer", "abandoned"]
REDIRECT_TYPES = sorted(REDIRECT_PAYMENT_METHOD_TYPES)


# --- input ----------------------------------------------------------------------------------


class SquareCardTokenInput(StrictSerializer):
    source_id = serializers.CharField(
        max_length=500, help_text="The Web Payments SDK's payment token (cnon:…) or a card on file (ccof:…)."
    )
    verification_token = serializers.CharField(
        required=False, max_length=500, help_text="payments.verifyBuyer()'s token (verf:…), for SCA."
    )


class VerifoneCardTokenInput(StrictSerializer):
    encrypted_card = serializers.CharField(
        required=False, max_length=4000, help_text="The card as Verifone.js encrypted it (base64)."
    )
    public_key_alias = serializers.CharField(
        required=False, max_length=100, help_text="The alias of the public key that encrypted it."
    )
    reuse_token = serializers.CharField(required=False, max_length=64, help_text="A Verifone reuse token.")


class CardTokenInput(StrictSerializer):
    token = serializers.CharField(required=False, max_length=64)
    # A card a provider's browser SDK tokenized; it can only be paid on that provider's accounts.
    square = SquareCardTokenInput(required=False)
    verifone = VerifoneCardTokenInput(required=False)


class PaymentMethodDataInput(StrictSerializer):
    type = serializers.ChoiceField(choices=[*REDIRECT_TYPES, "card"])
    # type=card: a card token (`tok_…`), as Stripe's payment_method_data[card][token], or a
    # provider's own token (payment_method_data[card][square][source_id], …[verifone][…]).
    card = CardTokenInput(required=False)


class RoutingPinInput(StrictSerializer):
    connector = serializers.CharField(
        max_length=40, help_text="Pins the attempt to this connector account (still checked for eligibility)."
    )


class PaymentIntentCreateInput(StrictSerializer):
    amount = AmountField()
    currency = CurrencyField()
    customer = serializers.CharField(required=False, max_length=64)
    payment_method = serializers.CharField(required=False, max_length=64)
    payment_method_data = PaymentMethodDataInput(required=False)
    source = serializers.CharField(
        required=False, max_length=64, help_text="A card token (tok_…), as Stripe's legacy source."
    )
    payment_method_types = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, min_length=1, max_length=10
    )
    capture_method = serializers.ChoiceField(choices=["automatic", "manual"], required=False)
    confirm = StrictBooleanField(required=False, default=False)
    off_session = StrictBooleanField(required=False, default=False)
    description = serializers.CharField(required=False, max_length=1000, allow_blank=True)
    statement_descriptor = serializers.CharField(required=False, max_length=22, allow_blank=True)
    metadata = MetadataField()
    return_url = serializers.URLField(required=False, max_length=2048)
    setup_future_usage = serializers.ChoiceField(choices=["on_session", "off_session"], required=False)
    receipt_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    request_three_d_secure = serializers.ChoiceField(
        choices=["automatic", "any", "challenge"], required=False
    )
    # Validated by the service with the ledger's split rule (errors name split[i][field]).
    split = serializers.JSONField(required=False)
    routing = RoutingPinInput(required=False)


class PaymentIntentUpdateInput(StrictSerializer):
    amount = AmountField(required=False)
    currency = CurrencyField(required=False)
    customer = serializers.CharField(required=False, max_length=64)
    payment_method = serializers.CharField(required=False, max_length=64)
    payment_method_types = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, min_length=1, max_length=10
    )
    capture_method = serializers.ChoiceField(choices=["automatic", "manual"], required=False)
    description = serializers.CharField(required=False, max_length=1000, allow_blank=True)
    statement_descriptor = serializers.CharField(required=False, max_length=22, allow_blank=True)
    metadata = MetadataField()
    receipt_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    return_url = serializers.URLField(required=False, max_length=2048)
    setup_future_usage = serializers.ChoiceField(choices=["on_session", "off_session"], required=False)
    # Validated by the service with the ledger's split rule (errors name split[i][field]).
    split = serializers.JSONField(required=False)


class PaymentIntentConfirmInput(StrictSerializer):
    payment_method = serializers.CharField(required=False, max_length=64)
    payment_method_data = PaymentMethodDataInput(required=False)
    source = serializers.CharField(
        required=False, max_length=64, help_text="A card token (tok_…), as Stripe's legacy source."
    )
    return_url = serializers.URLField(required=False, max_length=2048)
    off_session = StrictBooleanField(required=False)
    client_secret = serializers.CharField(required=False, max_length=200)
    receipt_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    setup_future_usage = serializers.ChoiceField(choices=["on_session", "off_session"], required=False)
    routing = RoutingPinInput(required=False)


class PaymentIntentCaptureInput(StrictSerializer):
    amount_to_capture = AmountField(required=False)
    metadata = MetadataField()
    reason = serializers.CharField(required=False, max_length=500, allow_blank=True)


class PaymentIntentCancelInput(StrictSerializer):
    cancellation_reason = serializers.ChoiceField(choices=CANCELLATION_REASONS, required=False)


class ThreeDSCompleteInput(StrictSerializer):
    result = serializers.ChoiceField(choices=["authenticated", "failed", "abandoned"])
    reference = serializers.CharField(required=False, max_length=64)
