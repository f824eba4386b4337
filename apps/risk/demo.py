"""Demo risk data for `manage.py load_demo`, after the demo payments and refunds (ORDER) so their
stories stay as they are: a value list, an active rule set and a draft version to backtest, two
open reviews, a blocked payment and an override of it waiting for a second analyst.
Idempotent: keyed by the rule set and the demo orders."""

from apps.audit.services import Actor
from apps.connectors.sandbox.cards import DEFAULT_CARD
from apps.core.errors import ApplicationError
from apps.intents.models import PaymentIntent
from apps.intents.services import payment_intent_create
from apps.vault.services import customer_create, payment_method_create_card

from .models import RuleSet
from .services import override_create, rule_set_version_create
from .services.value_lists import value_list_create, value_list_item_create

ORDER = 58
ACTOR = Actor.system("load_demo")

RULES = [
    ("allow", ":email: in @trusted_customers", "Known good customers skip review."),
    ("block", ":email: in @blocked_emails", "Chargebacks from these addresses."),
    ("block", ":risk_score: > 75", "Radar's default: block the highest risk."),
    ("block", ":declines_per_card_fingerprint_10m: >= 3", "Card testing."),
    ("review", ":amount_in_usd: > 150000", "Large orders are looked at."),
    ("review", ":card_country: != :ip_country:", "Card issued abroad from where the buyer is."),
    ("request_3ds", ":card_funding: = 'prepaid'", "Prepaid cards authenticate."),
]


def load(merchant, stdout) -> None:
    if RuleSet.objects.filter(merchant=merchant, livemode=False).exists():
        return
    blocked = value_list_create(merchant=merchant, livemode=False, actor=ACTOR, alias="blocked_emails",
                                name="Blocked e-mails", item_type="email")  # fmt: skip
    value_list_item_create(value_list=blocked, actor=ACTOR, value="mallory@example.net")
    trusted = value_list_create(merchant=merchant, livemode=False, actor=ACTOR, alias="trusted_customers",
                                name="Trusted customers", item_type="email")  # fmt: skip
    value_list_item_create(value_list=trusted, actor=ACTOR, value="alice@example.com")
    rules = [{"action": a, "predicate": p, "description": d} for a, p, d in RULES]
    rule_set_version_create(merchant=merchant, livemode=False, actor=ACTOR, rules=rules,
                            note="Demo rules", activate=True)  # fmt: skip
    # Refresh the hot path's pointer now (on_commit has run: we are outside a transaction).
    from .services.rulesets import pointer_refresh

    pointer_refresh(merchant.pk, False)

    def pay(order, amount, email, name):
        customer = customer_create(merchant=merchant, livemode=False, actor=ACTOR, email=email, name=name)
        pm = payment_method_create_card(
            merchant=merchant, livemode=False, actor=ACTOR, number=DEFAULT_CARD.number, exp_month=12,
            exp_year=2034, cvc="123", customer=customer, allow_redisplay="always",
        )  # fmt: skip
        try:
            return payment_intent_create(
                merchant=merchant, livemode=False, actor=ACTOR, amount=amount, currency="USD",
                payment_method=pm.public_id, customer=customer.public_id, confirm=True,
                metadata={"order_id": order}, description=f"Order {order}",
            )  # fmt: skip
        except ApplicationError:
            return PaymentIntent.objects.get(merchant=merchant, order_id=order)

    pay("demo-risk-1", 180_000, "dave@example.org", "Dave Large")  # review, held
    pay("demo-risk-2", 240_000, "erin@example.org", "Erin Bulk")  # review, held
    blocked_intent = pay("demo-risk-3", 90_000, "mallory@example.net", "Mallory")  # blocked
    override_create(
        merchant=merchant, livemode=False, kind="payment", value=blocked_intent.public_id, effect="allow",
        reason="Customer called; identity checked by phone.", actor=ACTOR,
    )  # fmt: skip
    # A draft version (not active) to backtest in the admin before activating.
    rule_set_version_create(merchant=merchant, livemode=False, actor=ACTOR,
                            rules=[*rules, {"action": "review", "predicate": ":amount_in_usd: > 50000"}],
                            note="Draft: review from 500 USD")  # fmt: skip
    stdout.write(
        "  Demo risk: an active rule set and a draft, two reviews in the queue, a blocked payment "
        "and its override awaiting a second analyst.\n"
    )
