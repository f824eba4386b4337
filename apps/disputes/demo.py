"""Demo disputes for `manage.py load_demo`, after the payments and refunds (ORDER) and before the
payouts: a fraud chargeback with a draft of evidence, a product-not-received chargeback due within
24 hours, an inquiry, a won dispute (funds reinstated) and one accepted (lost). Idempotent: keyed
by the payments' order ids."""

from datetime import timedelta

from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors.models import Connector
from apps.connectors.sandbox import SandboxAdapter
from apps.connectors.sandbox.cards import TEST_CARDS
from apps.connectors.services import connector_credentials
from apps.core.errors import ApplicationError
from apps.intents.models import PaymentIntent
from apps.intents.services import payment_intent_create
from apps.vault.services import customer_create, payment_method_create_card
from apps.webhooks.services.inbound import inbound_webhook_receive

from .models import Dispute
from .services import dispute_close, dispute_update, disputes_deliver_sandbox_notifications

ORDER = 56
ACTOR = Actor.system("load_demo")


def _number(behaviour: str) -> str:
    return next(c.number for c in TEST_CARDS if c.behaviour == behaviour)


def load(merchant, stdout) -> None:
    if Dispute.objects.filter(merchant=merchant, payment_intent__order_id__startswith="demo-dp-").exists():
        return
    dana = customer_create(merchant=merchant, livemode=False, actor=ACTOR, email="dana@example.com",
                           name="Dana Novak")  # fmt: skip

    def pay(order: str, behaviour: str, amount: int) -> PaymentIntent | None:
        pm = payment_method_create_card(
            merchant=merchant, livemode=False, actor=ACTOR, number=_number(behaviour), exp_month=12, exp_year=2034,
            cvc="123", customer=dana, allow_redisplay="always", billing_details={"name": "Dana Novak"},
        )  # fmt: skip
        try:
            return payment_intent_create(
                merchant=merchant, livemode=False, actor=ACTOR, amount=amount, currency="USD",
                payment_method=pm.public_id, customer=dana.public_id, confirm=True, receipt_email="dana@example.com",
                metadata={"order_id": order}, description=f"Order {order}: 2 tickets",
            )  # fmt: skip
        except ApplicationError:
            return None

    fraud = pay("demo-dp-1", "dispute_fraudulent", 8_900)
    pay("demo-dp-2", "dispute_inquiry", 3_100)
    won = pay("demo-dp-3", "dispute_fraudulent", 4_500)
    accepted = pay("demo-dp-4", "dispute_fraudulent", 2_600)
    urgent = pay("demo-dp-5", "succeeds", 12_000)
    if fraud is None or urgent is None:
        return
    # The sandbox acquirer's callbacks, now rather than after its usual delay.
    disputes_deliver_sandbox_notifications(now=timezone.now() + timedelta(days=1))
    # A product-not-received chargeback the network dates to answer within 20 hours.
    charge = urgent.latest_charge
    connector = Connector.objects.get(pk=charge.connector_id)
    adapter = SandboxAdapter(credentials=connector_credentials(connector))
    body, headers = adapter.build_webhook(
        type="charge.dispute.created", gateway_reference=charge.gateway_reference, amount=charge.amount_captured,
        currency=charge.currency, event_id=f"evt_demo_{charge.public_id}",
        data={"dispute": f"sbxdp_demo_{charge.public_id}", "reason": "product_not_received",
              "network_reason_code": "13.1", "evidence_due_by": int((timezone.now() + timedelta(hours=20)).timestamp())},
    )  # fmt: skip
    inbound_webhook_receive(connector_ref=connector.public_id, body=body, headers=headers)

    def dispute_of(intent):
        return Dispute.objects.filter(payment_intent=intent).first() if intent else None

    draft = dispute_of(fraud)
    if draft is not None:
        dispute_update(dispute_id=draft.pk, actor=ACTOR, submit=False,
                       evidence={"customer_name": "Dana Novak", "customer_email_address": "dana@example.com"})  # fmt: skip
    to_win = dispute_of(won)
    if to_win is not None:
        dispute_update(dispute_id=to_win.pk, actor=ACTOR, evidence={"uncategorized_text": "winning_evidence"})
        disputes_deliver_sandbox_notifications(now=timezone.now() + timedelta(days=1))
    to_accept = dispute_of(accepted)
    if to_accept is not None:
        dispute_close(dispute_id=to_accept.pk, actor=ACTOR, reason="Demo: the merchant accepted")
    stdout.write(
        "  Demo disputes: a fraud chargeback with a draft, one due within 24 h, an inquiry, won, accepted.\n"
    )
