"""Failover within one confirm: a retryable decline (by the provider's decline table) or a
provider error the connector *confirms* it never received moves the attempt to the next
eligible connector of the routing decision, at most ``apps.routing.engine.MAX_ATTEMPTS``
attempts in all.

Never a blind failover: after a timeout or an unknown outcome the connector is asked first
(lookup by our idempotency key, the charge's ``provider_key``). Only "never received" lets the
next connector try; an answer found by the lookup is recorded as the answer (an approval found
there ends the confirm: the payment is authorized once); if the connector cannot be asked, the
attempt is left ``unknown`` for the re-check janitor and nothing else is tried.

The move itself is one transaction (``charge_fail_over``): the previous attempt is marked
failed and the next one created ``submitting`` on the next connector, so a crash between two
attempts leaves at most one open attempt, which the janitor resolves.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Declined, RetryableError
from apps.connectors.declines import RETRY_ELSEWHERE
from apps.routing.services import (
    NOT_RECEIVED,
    RETRYABLE_DECLINE,
    failover_next,
    failover_verdict,
)

from ..locks import charge_lock, payment_intent_lock
from ..models import Charge
from ..transitions import assert_charge_transition
from .common import OPEN_ATTEMPT, charge_event


def failover_step(charge: Charge, result, *, decision, attempt: int):
    """(the result to record or hand over, the next (connector, routing record) or None)."""
    if decision is None:
        return result, None
    if isinstance(result, RetryableError):
        target = failover_next(
            decision, attempt=attempt, previous_charge=charge.public_id, reason=NOT_RECEIVED, code=result.code
        )
        if target is None:
            return result, None
        found = gateway.lookup(
            connector=charge.connector, operation="authorize", idempotency_key=charge.provider_key
        )
        if found is None:
            return result, target  # confirmed: the connector never received it
        if isinstance(found, RetryableError):
            return result, None  # could not ask: unknown, for the janitor
        result = found
    if isinstance(result, Declined):
        verdict = failover_verdict(
            provider=charge.connector.code, code=result.code, decline_code=result.decline_code
        )
        if verdict == RETRY_ELSEWHERE:
            target = failover_next(
                decision, attempt=attempt, previous_charge=charge.public_id, reason=RETRYABLE_DECLINE,
                code=result.decline_code or result.code,
            )  # fmt: skip
            return result, target
    return result, None


def _failure_of(result) -> Declined:
    if isinstance(result, Declined):
        return result
    return Declined(
        code="processing_error",
        decline_code="",
        network_code="",
        message=f"The connector never received the attempt ({result.code}); it moved to the next connector.",
    )


def charge_fail_over(
    *,
    intent_id: int,
    charge_id: int,
    result,
    connector,
    routing: dict,
    actor: Actor,
    new_charge: Callable[..., Charge],
) -> Charge | None:
    """Marks the attempt failed and opens the next one on ``connector`` (one transaction).
    None when the attempt was meanwhile resolved by someone else (janitor, inbound event)."""
    failure = _failure_of(result)
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        charge = charge_lock(charge_id, intent)
        if charge.status not in OPEN_ATTEMPT or intent.latest_charge_id not in (None, charge.pk):
            return None
        assert_charge_transition(charge, Charge.Status.FAILED)
        charge.status = Charge.Status.FAILED
        charge.failure_code = failure.code
        charge.decline_code = failure.decline_code or ""
        charge.network_code = failure.network_code or ""
        charge.failure_message = failure.message[:500]
        charge.gateway_reference = failure.gateway_reference or charge.gateway_reference
        charge.failed_at = timezone.now()
        charge.save()
        charge_event(charge, "charge.failed")
        pm = charge.payment_method if charge.payment_method_id else None
        nxt = new_charge(intent, pm=pm, pmd_type=charge.payment_method_type, connector=connector, actor=actor,
                         routing=routing)  # fmt: skip
        intent.latest_charge = nxt
        intent.connector = connector
        intent.save(update_fields=["latest_charge", "connector", "updated_at"])
        audit_record(
            actor=actor, action="charge.failed_over", merchant=intent.merchant, obj=charge,
            after={"next_charge": nxt.public_id, "connector": connector.public_id, **routing["failover"]},
        )  # fmt: skip
    return nxt
