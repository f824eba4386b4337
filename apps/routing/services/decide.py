"""The routing decision of a payment attempt, and the next attempt of a failover.

The caller (intents' confirm) describes the payment in plain fields (``PaymentDescription``);
routing answers the connector and the decision record to store on the attempt. It never calls
a provider and never writes: it reads the routing context (one query), the circuit states (the
cache) and decides (``apps.routing.engine``).
"""

from __future__ import annotations

from apps.connectors import declines, observe

from ..engine import MAX_ATTEMPTS, Decision, PaymentDescription, decide, failover_record
from ..errors import NoEligibleConnector, PinnedConnectorIneligible
from ..selectors import routing_context

# Why an attempt moved to the next connector (the decision record's failover.reason).
RETRYABLE_DECLINE = "retryable_decline"
NOT_RECEIVED = "not_received"
PROVIDER_ERROR = "provider_error"


def routing_decide(*, merchant, livemode: bool, payment: PaymentDescription, rule_set: dict | None = None,
                   use_active: bool = True) -> Decision:  # fmt: skip
    """The decision, without raising when nothing is eligible (a dry run shows why)."""
    connectors, active = routing_context(merchant=merchant, livemode=livemode)
    snapshot = rule_set if rule_set is not None else (active if use_active else None)
    circuits = observe.circuit_states([c.public_id for c in connectors])
    return decide(payment, connectors=connectors, rule_set=snapshot, circuits=circuits)


def route_payment(*, merchant, livemode: bool, payment: PaymentDescription) -> Decision:
    """The connector a new attempt goes to and its decision record; raises when no connector
    can take the payment (``no_connector_available``, naming the exclusions) or the pinned one
    cannot (``routing_connector_ineligible``)."""
    decision = routing_decide(merchant=merchant, livemode=livemode, payment=payment)
    if decision.connector is None:
        record = decision.record
        if record["matched_by"] == "pinned":
            raise PinnedConnectorIneligible(
                connector=payment.connector[:40], reason=record.get("pinned_reason") or ""
            )
        reasons = sorted({c["reason"] for c in record["candidates"] if c["reason"]})
        raise NoEligibleConnector(detail=", ".join(reasons) if reasons else "no connector configured")
    return decision


def failover_verdict(*, provider: str, code: str, decline_code: str) -> str:
    """retry_elsewhere / do_not_retry / soft_decline_needs_3ds, from the provider's decline table."""
    return declines.classify(provider, decline_code, code)


def failover_next(decision: Decision, *, attempt: int, previous_charge: str, reason: str, code: str):
    """(connector, record) of attempt ``attempt + 1`` or None when the decision has no further
    eligible connector or the attempt bound (``MAX_ATTEMPTS``) is reached."""
    nxt = attempt + 1
    if nxt > MAX_ATTEMPTS or nxt > len(decision.order):
        return None
    record = failover_record(
        decision.record, attempt=nxt, previous_charge=previous_charge, reason=reason, code=code
    )
    return decision.order[nxt - 1], record
