"""Payment-side report types: payments (payment grain), payment attempts (attempt grain),
refunds and disputes — one row per object created in the interval."""

from apps.disputes.models import Dispute
from apps.intents.models import Charge, PaymentIntent
from apps.refunds.models import Refund

from .base import Column, itemized, moment, money, register, text

register(
    itemized(
        id="payments.itemized.1",
        title="Payments (payment grain: one row per PaymentIntent)",
        grain="payment",
        model=PaymentIntent,
        paths={
            "id": "public_id",
            "customer": "customer__public_id",
            "latest_charge": "latest_charge__public_id",
            "connector": "latest_charge__connector__code",
            "payment_method_type": "latest_charge__payment_method_type",
            "card_brand": "latest_charge__payment_method_details->card->brand",
        },
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            Column("status", "string", "status"),
            *money("amount"),
            *money("amount_received"),
            *money("amount_refunded"),
            *text(
                "currency",
                "capture_method",
                "customer",
                "latest_charge",
                "connector",
                "payment_method_type",
                "card_brand",
                "order_id",
                "description",
            ),
        ),
    )
)

register(
    itemized(
        id="payment_attempts.itemized.1",
        title="Payment attempts (attempt grain: one row per Charge)",
        grain="attempt",
        model=Charge,
        paths={
            "id": "public_id",
            "payment_intent": "payment_intent__public_id",
            "connector": "connector__code",
            "card_brand": "payment_method_details->card->brand",
            "three_ds": "three_ds->result",
        },
        columns=(
            *text("id", "payment_intent"),
            *moment("created", "created_at"),
            Column("status", "string", "status"),
            *money("amount"),
            *money("amount_captured"),
            *money("amount_refunded"),
            *text(
                "currency",
                "connector",
                "payment_method_type",
                "card_brand",
                "decline_code",
                "failure_code",
                "network_code",
                "three_ds",
            ),
            Column("authorized_at", "timestamp", "authorized_at"),
            Column("captured_at", "timestamp", "captured_at"),
        ),
    )
)

register(
    itemized(
        id="refunds.itemized.1",
        title="Refunds",
        grain="refund",
        model=Refund,
        paths={
            "id": "public_id",
            "payment_intent": "payment_intent__public_id",
            "charge": "charge__public_id",
        },
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            Column("status", "string", "status"),
            *money("amount"),
            *text("currency", "payment_intent", "charge", "reason", "failure_reason"),
            Column("succeeded_at", "timestamp", "succeeded_at"),
        ),
    )
)

register(
    itemized(
        id="disputes.itemized.1",
        title="Disputes and chargebacks",
        grain="dispute",
        model=Dispute,
        paths={
            "id": "public_id",
            "payment_intent": "payment_intent__public_id",
            "charge": "charge__public_id",
            "connector": "connector__code",
        },
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            *text("status", "case_type", "reason", "network_reason_code"),
            *money("amount"),
            *text("currency", "payment_intent", "charge", "connector"),
        ),
    )
)
