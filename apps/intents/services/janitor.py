"""Periodic jobs: expiring lapsed authorizations, and the re-check janitor that resolves attempts
and operations left in flight by a crash or a timeout by asking the provider (Kill Bill's janitor).

The janitor asks only what the provider can answer: an authorization, capture or void is looked
up (``gateway.lookup`` with the operation and the payment's provider id) when the account's
capability matrix declares that lookup. Where it does not (Adyen has no read API for payments or
modifications), the janitor never guesses and never sends again: it waits for the provider's
notification (applied by the inbound pipeline, ``inbound.py``), and once ``escalate_after`` has
passed without an answer — at once for a provider that sends none — it escalates the item for
review: one ``<object>.review_needed`` audit entry, which the janitor then leaves alone."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Pending, RetryableError
from apps.connectors.models import Connector
from apps.core.clock import ClockScope, clock_filter

from ..locks import charge_lock, payment_intent_lock
from ..models import Charge, PaymentIntent
from ..selectors import charges_unresolved
from .capture import charge_record_operation, payment_intent_mark_canceled
from .common import OPEN_ATTEMPT
from .next_action import payment_intent_revert_to_action
from .outcomes import charge_record_authorization

logger = logging.getLogger(__name__)

# How long an operation the provider cannot be asked about waits for its notification before a
# person is asked to look (a provider sending no notifications: no wait).
ESCALATE_AFTER = timedelta(hours=1)
REVIEW_NEEDED = "review_needed"


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
    *,
    older_than: timedelta = timedelta(minutes=2),
    limit: int = 200,
    escalate_after: timedelta = ESCALATE_AFTER,
) -> dict[str, int]:
    """Resolves attempts left ``submitting``/``unknown``/``pending`` and captures/voids left in
    flight by a crash or a timeout, by asking the provider under our own idempotency key; escalates
    those the provider cannot be asked about and that no notification resolved."""
    now = timezone.now()
    cutoff = now - older_than
    actor = Actor.system("recheck_janitor")
    attempts = charges_unresolved().filter(status__in=OPEN_ATTEMPT, updated_at__lte=cutoff)
    operations = Charge.objects.exclude(pending_operation="").filter(pending_since__lte=cutoff)
    escalated = _escalate_attempts(attempts, now=now, escalate_after=escalate_after, actor=actor)
    for operation in (Charge.Operation.CAPTURE, Charge.Operation.VOID):
        escalated += _escalate_operations(
            operations.filter(pending_operation=operation), operation=operation, now=now,
            escalate_after=escalate_after, actor=actor,
        )  # fmt: skip
    return {
        "authorizations": _recheck_attempts(attempts, limit=limit, actor=actor),
        "operations": _recheck_operations(operations, limit=limit, actor=actor),
        "escalated": escalated,
    }


# --- which connectors can be asked ------------------------------------------------------------


def connectors_split_by_lookup(
    rows: QuerySet, *, operation: str, connector_field: str = "connector_id"
) -> tuple[list[int], list[Connector]]:
    """(ids of the connectors of ``rows`` that can look ``operation`` up, the connectors that
    cannot). One query for the connectors; their matrices are read in Python."""
    ids = list(rows.order_by().values_list(connector_field, flat=True).distinct())
    can: list[int] = []
    cannot: list[Connector] = []
    for connector in Connector.objects.filter(pk__in=ids):
        if gateway.lookup_supported(connector, operation):
            can.append(connector.pk)
        else:
            cannot.append(connector)
    return can, cannot


def not_escalated(rows: QuerySet, *, object_type: str) -> QuerySet:
    """``rows`` without those already escalated for review (their audit entry exists)."""
    done = AuditEntry.objects.filter(
        object_type=object_type, object_id=OuterRef("public_id"), action__endswith=f".{REVIEW_NEEDED}"
    )
    return rows.filter(~Exists(done))


def recheck_escalate(*, obj, merchant, operation: str, connector: Connector, since: datetime | None,
                     actor: Actor) -> None:  # fmt: skip
    """The review item of an operation the provider cannot be asked about and that no
    notification answered: one audit entry (``<object>.review_needed``) naming what to check at
    the provider; the object's state is left as it is, for the notification or a person."""
    kind = obj._meta.model_name
    waited = int((timezone.now() - since).total_seconds()) if since else None
    with transaction.atomic(durable=True):
        audit_record(
            actor=actor, action=f"{kind}.{REVIEW_NEEDED}", merchant=merchant, obj=obj,
            after={"operation": operation, "connector": connector.public_id, "provider": connector.code,
                   "reason": "lookup_not_supported", "waited_seconds": waited,
                   "webhooks": bool(gateway.supported(connector, "parse_inbound_webhook"))},
            reason=f"{connector.code} cannot be asked about this {operation}: check it at the provider.",
        )  # fmt: skip
    logger.warning("%s %s: %s at %s needs review (no lookup)", kind, obj.public_id, operation, connector.code)


def _waited_enough(connector: Connector, *, now, escalate_after: timedelta):
    """The latest start of an in-flight operation that is now due for escalation."""
    webhooks = gateway.supported(connector, "parse_inbound_webhook")
    return now - (escalate_after if webhooks else timedelta(0))


# --- authorizations ---------------------------------------------------------------------------


def _recheck_attempts(stuck: QuerySet, *, limit: int, actor: Actor) -> int:
    done = 0
    askable, _ = connectors_split_by_lookup(stuck, operation="authorize")
    rows = stuck.filter(connector_id__in=askable).select_related("connector", "payment_intent")
    for charge in rows.order_by("updated_at")[:limit]:
        intent = charge.payment_intent
        result = gateway.lookup(
            connector=charge.connector, operation="authorize", idempotency_key=charge.provider_key
        )
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


def _escalate_attempts(stuck: QuerySet, *, now, escalate_after: timedelta, actor: Actor) -> int:
    done = 0
    _, unaskable = connectors_split_by_lookup(stuck, operation="authorize")
    for connector in unaskable:
        due = stuck.filter(connector=connector, updated_at__lte=_waited_enough(connector, now=now,
                                                                                escalate_after=escalate_after))  # fmt: skip
        for charge in not_escalated(due, object_type="intents.charge").select_related("merchant"):
            recheck_escalate(obj=charge, merchant=charge.merchant, operation="authorize", connector=connector,
                             since=charge.updated_at, actor=actor)  # fmt: skip
            done += 1
    return done


# --- captures and voids -----------------------------------------------------------------------


def _recheck_operations(in_flight: QuerySet, *, limit: int, actor: Actor) -> int:
    done = 0
    for operation in (Charge.Operation.CAPTURE, Charge.Operation.VOID):
        rows = in_flight.filter(pending_operation=operation)
        askable, _ = connectors_split_by_lookup(rows, operation=operation)
        for charge in (
            rows.filter(connector_id__in=askable)
            .select_related("connector")
            .order_by("pending_since")[:limit]
        ):
            result = gateway.lookup(
                connector=charge.connector, operation=operation,
                idempotency_key=f"{charge.public_id}:{operation}", reference=charge.gateway_reference,
            )  # fmt: skip
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


def _escalate_operations(
    rows: QuerySet, *, operation: str, now, escalate_after: timedelta, actor: Actor
) -> int:
    done = 0
    _, unaskable = connectors_split_by_lookup(rows, operation=operation)
    for connector in unaskable:
        due = rows.filter(connector=connector, pending_since__lte=_waited_enough(connector, now=now,
                                                                                  escalate_after=escalate_after))  # fmt: skip
        for charge in not_escalated(due, object_type="intents.charge").select_related("merchant"):
            recheck_escalate(obj=charge, merchant=charge.merchant, operation=operation, connector=connector,
                             since=charge.pending_since, actor=actor)  # fmt: skip
            done += 1
    return done
