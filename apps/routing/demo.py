"""Demo routing: two sandbox accounts besides the implicit one and an active rule set, loaded
before the demo payments so they are routed (and an amex payment fails over: the primary
account declines amex with do_not_honor, which the decline table retries elsewhere)."""

from apps.audit.services import Actor
from apps.connectors.models import Connector
from apps.connectors.services import connector_create

from .models import RuleSet
from .services import rule_set_create

ORDER = 20
ACTOR = Actor.system("load_demo")
PRIMARY = "Sandbox primary (declines amex)"
BACKUP = "Sandbox backup"


def load(merchant, stdout) -> None:
    if RuleSet.objects.filter(merchant=merchant, livemode=False, name="Demo routing").exists():
        return
    existing = {c.name: c for c in Connector.objects.filter(merchant=merchant, livemode=False)}
    primary = existing.get(PRIMARY) or connector_create(
        merchant=merchant, livemode=False, type="sandbox", label=PRIMARY, actor=ACTOR,
        config={"decline_card_brands": ["amex"]},
        credentials={"webhook_secret": "whsec_demo_primary_not_a_secret"},
    )  # fmt: skip
    backup = existing.get(BACKUP) or connector_create(
        merchant=merchant, livemode=False, type="sandbox", label=BACKUP, actor=ACTOR
    )
    rule_set = rule_set_create(
        merchant=merchant,
        livemode=False,
        name="Demo routing",
        actor=ACTOR,
        rules=[
            {
                "name": "amex_primary_then_backup",
                "conditions": {"card_brand": ["amex"]},
                "connectors": [primary.public_id, backup.public_id],
            },
            {
                "name": "eur_split_70_30",
                "conditions": {"currency": ["EUR"]},
                "split": [
                    {"connector": primary.public_id, "weight": 70},
                    {"connector": backup.public_id, "weight": 30},
                ],
            },
        ],
        default_fallback=[primary.public_id, backup.public_id],
        activate=True,
    )
    stdout.write(
        f"Routing: {primary.public_id} and {backup.public_id}, rule set {rule_set.public_id} active."
    )
