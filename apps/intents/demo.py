"""Demo payments across the lifecycle, for `manage.py load_demo` (idempotent: keyed by order id)."""

from apps.audit.services import Actor
from apps.connectors.sandbox.cards import TEST_CARDS
from apps.core.errors import ApplicationError
from apps.vault.services import customer_create, payment_method_create_card

from .models import PaymentIntent
from .services import payment_intent_cancel, payment_intent_create

ACTOR = Actor.system("load_demo")


def _card(behaviour: str, brand: str = "visa"):
    return next(c for c in TEST_CARDS if c.behaviour == behaviour and c.brand == brand)


def load(merchant, stdout) -> None:
    if PaymentIntent.objects.filter(merchant=merchant, order_id__startswith="demo-").exists():
        return

    def customer(email, name):
        return customer_create(merchant=merchant, livemode=False, actor=ACTOR, email=email, name=name)

    def card(behaviour, brand="visa", cust=None):
        test_card = _card(behaviour, brand)
        return payment_method_create_card(
            merchant=merchant,
            livemode=False,
            actor=ACTOR,
            number=test_card.number,
            exp_month=12,
            exp_year=2034,
            cvc="1234" if brand == "amex" else "123",
            customer=cust,
            allow_redisplay="always" if cust else None,
            billing_details={"name": cust.name if cust else "Demo Buyer"},
        )

    def pay(order, amount, pm, currency="USD", **kwargs):
        try:
            return payment_intent_create(
                merchant=merchant,
                livemode=False,
                actor=ACTOR,
                amount=amount,
                currency=currency,
                payment_method=pm.public_id,
                customer=pm.customer.public_id if pm.customer else None,
                confirm=True,
                metadata={"order_id": order},
                description=f"Order {order}",
                **kwargs,
            )
        except ApplicationError:  # a decline is part of the story: the intent records it
            return PaymentIntent.objects.get(merchant=merchant, order_id=order)

    alice = customer("alice@example.com", "Alice Martin")
    bob = customer("bob@example.com", "Bob Chen")
    carol = customer("carol@example.com", "Carol Diaz")

    pay("demo-1001", 4_200, card("succeeds", cust=alice))
    pay("demo-1002", 12_500, card("succeeds", "mastercard", cust=bob))  # partially refunded (refunds demo)
    pay("demo-1003", 30_000, card("succeeds", "amex", cust=carol), capture_method="manual")
    to_cancel = pay("demo-1004", 7_900, card("succeeds", cust=alice), capture_method="manual")
    payment_intent_cancel(intent_id=to_cancel.pk, actor=ACTOR, cancellation_reason="requested_by_customer")
    pay("demo-1005", 5_000, card("insufficient_funds"))
    pay("demo-1006", 15_000, card("three_ds_required"), return_url="http://127.0.0.1:8000/")
    pay("demo-1007", 90_000, card("succeeds", cust=bob))  # its refund awaits approval (refunds demo)
    pay("demo-1008", 6_000, card("succeeds", cust=carol), currency="EUR")
    pay("demo-1009", 2_000, card("refund_fails_async"))  # its refund fails (refunds demo)
    stdout.write(
        "  Demo payments: succeeded, awaiting capture, canceled, declined, awaiting 3DS, a EUR payment.\n"
    )
