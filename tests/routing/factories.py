"""Connector accounts and rule sets for routing tests, made through the services."""

from apps.audit.services import Actor
from apps.connectors.services import connector_create
from apps.routing.services import rule_set_create

ACTOR = Actor.system("tests")


def sandbox(merchant, label="Sandbox", *, livemode=False, capabilities=None, config=None):
    return connector_create(
        merchant=merchant, livemode=livemode, type="sandbox", label=label, actor=ACTOR,
        capabilities=capabilities, config=config,
    )  # fmt: skip


def rule_set(merchant, *, rules=(), default_fallback=(), activate=True, livemode=False, name="Rules"):
    return rule_set_create(
        merchant=merchant, livemode=livemode, name=name, actor=ACTOR, rules=list(rules),
        default_fallback=list(default_fallback), activate=activate,
    )  # fmt: skip
