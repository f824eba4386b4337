"""Demo refunds for `manage.py load_demo`, after the demo payments of apps/intents/demo.py
(ORDER) and before the payouts. Idempotent: keyed by the payments' order ids."""

from apps.audit.services import Actor
from apps.intents.models import PaymentIntent
from apps.merchants.services import merchant_settings_update

from .models import Refund
from .services import refund_create

ORDER = 55
ACTOR = Actor.system("load_demo")


def load(merchant, stdout) -> None:
    if Refund.objects.filter(merchant=merchant, payment_intent__order_id__startswith="demo-").exists():
        return
    payments = {
        intent.order_id: intent
        for intent in PaymentIntent.objects.filter(
            merchant=merchant, order_id__in=["demo-1002", "demo-1007", "demo-1009"]
        )
    }
    if len(payments) < 3:
        return
    # Refunds above 500.00 USD need a second person's approval in the back office.
    merchant_settings_update(merchant=merchant, changes={"refund_approval_threshold": 50_000}, actor=ACTOR)

    def refund(order, **kwargs):
        refund_create(
            merchant=merchant, livemode=False, actor=ACTOR, payment_intent=payments[order].public_id, **kwargs
        )

    refund("demo-1002", amount=2_500, reason="requested_by_customer")
    refund("demo-1007", reason="product_return")  # above the threshold: awaits approval
    # The acquirer accepts this refund, then fails it asynchronously (the re-check job records it).
    refund("demo-1009", reason="duplicate")
    stdout.write("  Demo refunds: a partial refund, a refund awaiting approval, a refund that fails.\n")
