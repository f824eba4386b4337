"""Periodic jobs: expiring lapsed authorizations, and the re-check janitor that resolves attempts
and operations left in flight by a crash or a timeout by asking the provider (Kill Bill's janitor)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors import gateway
from apps.connectors.base import Pending, RetryableError
from apps.core.clock import ClockScope, clock_filter

from ..locks import charge_lock, payment_intent_lock
from ..models import Charge, PaymentIntent
from .capture import charge_record_operation, payment_intent_mark_canceled
from .common import OPEN_ATTEMPT
from .next_action import payment_intent_revert_to_action
from .outcomes import charge_record_authorization


def payment_intents_expire_authorizations(
    *, now=None, limit: int = 500, scope: ClockScope | None = None
) -> int:
    """Cancels uncaptured intents whose authorization has lapsed (sandbox: 7 days). Idempotent.
    With a test clock's ``scope``, only that clock's charges (apps.core.clock); without, every
    charge but those that run on a clock."""
    now = now or timezone.now()
    actor = Actor.system("authorization_expiry")
    due = Charge.objects.filter(
        status=Charge.Status.AUTHORIZED, authorization_expires_at__lte=now, pending_operation="",
        payment_intent__status=PaymentIntent.Status.REQUIRES_CAPTURE,
    )  # fmt: skip
    ids = list(clock_filter(due, scope=scope).values_list("payment_intent_id", "id")[:limit])
    done = 0
    for intent_id, charge_id in ids:
        with transaction.atomic(durable=True):
            intent = payment_intent_lock(intent_id)
            if intent.status != PaymentIntent.Status.REQUIRES_CAPTURE or intent.latest_charge_id != charge_id:
                continue
            charge = charge_lock(charge_id, intent)
            if charge.status != Charge.Status.AUTHORIZED or charge.authorization_expires_at > now:
                continue
            payment_intent_mark_canceled(
                intent,
                charge,
                actor=actor,
                cancellation_reason="automatic",
                charge_event_type="charge.expired",
            )
            done += 1
    return done


def payment_intents_recheck(
    *, older_than: timedelta = timedelta(minutes=2), limit: int = 200
) -> dict[str, int]:
    """Resolves attempts left ``submitting``/``unknown``/``pending`` and captures/voids left in
    flight by a crash or a timeout, by asking the provider under our own idempotency key."""
    cutoff = timezone.now() - older_than
    actor = Actor.system("recheck_janitor")
    return {
        "authorizations": _recheck_attempts(cutoff=cutoff, limit=limit, actor=actor),
        "operations": _recheck_operations(cutoff=cutoff, limit=limit, actor=actor),
    }


def _recheck_attempts(*, cutoff, limit: int, actor: Actor) -> int:
    done = 0
    stuck = Charge.objects.filter(status__in=OPEN_ATTEMPT, updated_at__lte=cutoff)
    for charge in stuck.select_related("connector", "payment_intent")[:limit]:
        intent = charge.payment_intent
        result = gateway.lookup(connector=charge.connector, idempotency_key=charge.provider_key)
        if result is None:
            result = RetryableError(code="not_received", message="The connector never received the attempt.")
        if isinstance(result, Pending):
            if charge.action_reference and charge.status in (Charge.Status.SUBMITTING, Charge.Status.UNKNOWN):
                # the customer's step is still open
                payment_intent_revert_to_action(intent.pk, charge.pk, actor=actor)
            continue  # still pending at the provider
        if isinstance(result, RetryableError) and result.code != "not_received":
            continue  # could not ask: try again next run
        charge_record_authorization(
            intent_id=intent.pk, charge_id=charge.pk, result=result, actor=actor,
            capture=intent.capture_method == PaymentIntent.CaptureMethod.AUTOMATIC, raise_errors=False,
        )  # fmt: skip
        done += 1
    return done


def _recheck_operations(*, cutoff, limit: int, actor: Actor) -> int:
    done = 0
    in_flight = Charge.objects.exclude(pending_operation="").filter(pending_since__lte=cutoff)
    for charge in in_flight.select_related("connector")[:limit]:
        operation = charge.pending_operation
        result = gateway.lookup(connector=charge.connector, idempotency_key=f"{charge.public_id}:{operation}")
        if result is None:
            result = RetryableError(
                code="not_received", message="The connector never received the operation."
            )
        elif isinstance(result, RetryableError):
            continue
        charge_record_operation(
            intent_id=charge.payment_intent_id, charge_id=charge.pk, operation=operation, result=result,
            actor=actor, raise_errors=False,
        )  # fmt: skip
        done += 1
    return done
