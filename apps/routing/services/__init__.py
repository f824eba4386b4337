"""Routing services; callers import from here."""

from .decide import (
    NOT_RECEIVED,
    PROVIDER_ERROR,
    RETRYABLE_DECLINE,
    failover_next,
    failover_verdict,
    route_payment,
    routing_decide,
)
from .rule_sets import rule_set_activate, rule_set_create, rule_set_deactivate, rule_set_update

__all__ = [
    "NOT_RECEIVED",
    "PROVIDER_ERROR",
    "RETRYABLE_DECLINE",
    "failover_next",
    "failover_verdict",
    "route_payment",
    "routing_decide",
    "rule_set_activate",
    "rule_set_create",
    "rule_set_deactivate",
    "rule_set_update",
]
