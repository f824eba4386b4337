"""Re-checking refunds the provider has not answered, and the provider's refund notifications."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors import gateway
from apps.connectors.base import Approved, Declined, RetryableError
from apps.intents.services.janitor import (
    ESCALATE_AFTER,
    connectors_split_by_lookup,
    not_escalated,
    recheck_escalate,
)

from ..models import Refund
from .common import OPEN
from .create import _submit
from .outcomes import refund_record_result


def refunds_recheck(
    *, older_than: timedelta = timedelta(minutes=1), limit: int = 200, escalate_after: timedelta | None = None
) -> int:
    """Resolves pending refunds: sent but unanswered or accepted and waiting (ask the provider:
    the refund looked up on its payment), never sent (send again under the same idempotency key
    — safe). A provider that cannot look refunds up is left to its notification (REFUND /
    REFUND_FAILED), and a refund nothing answered by ``escalate_after`` is escalated for review,
    never re-sent on a guess. Returns how many refunds were resolved, re-sent or escalated."""
    now = timezone.now()
    actor = Actor.system("refund_recheck")
    open_rows = Refund.objects.filter(status=Refund.Status.PENDING, updated_at__lte=now - older_than)
    askable, unaskable = connectors_split_by_lookup(
        open_rows, operation="refund", connector_field="charge__connector_id"
    )
    done = _refunds_escalate(open_rows, unaskable, now=now, escalate_after=ESCALATE_AFTER if escalate_after is None else escalate_after,
                             actor=actor)  # fmt: skip
    # Never sent (the provider said so): a re-send under the same key, whoever the provider is.
    rows = open_rows.filter(Q(charge__connector_id__in=askable) | Q(submission=Refund.Submission.NOT_SENT))
    for refund in rows.select_related("charge__connector", "payment_intent").order_by("updated_at")[:limit]:
        if refund.submission == Refund.Submission.NOT_SENT:
            result = None
        else:
            result = gateway.lookup(
                connector=refund.charge.connector, operation="refund", idempotency_key=refund.provider_key,
                reference=refund.charge.gateway_reference,
            )  # fmt: skip
        if result is None:
            _submit(refund, refund.charge, actor=actor)
        elif isinstance(result, RetryableError):
            continue
        else:
            refund_record_result(refund_id=refund.pk, result=result, actor=actor)
        done += 1
    return done


def _refunds_escalate(open_rows, connectors, *, now, escalate_after: timedelta, actor: Actor) -> int:
    done = 0
    for connector in connectors:
        wait = escalate_after if gateway.supported(connector, "parse_inbound_webhook") else timedelta(0)
        due = open_rows.filter(charge__connector=connector, updated_at__lte=now - wait).exclude(
            submission=Refund.Submission.NOT_SENT
        )
        for refund in not_escalated(due, object_type="refunds.refund").select_related("merchant"):
            recheck_escalate(obj=refund, merchant=refund.merchant, operation="refund", connector=connector,
                             since=refund.updated_at, actor=actor)  # fmt: skip
            done += 1
    return done


def refund_apply_inbound_event(*, connector, event) -> str:
    """A verified provider event about a refund (refund.succeeded / refund.failed)."""
    refund = (
        Refund.objects.filter(charge__connector=connector, gateway_reference=event.gateway_reference)
        .order_by("-id")
        .first()
    )
    if refund is None and str(event.reference or "").startswith(f"{Refund.ID_PREFIX}_"):
        # our key echoed ("re_…:refund"): a refund whose call timed out before the provider's id was known
        refund = Refund.objects.filter(
            charge__connector=connector, public_id=event.reference.partition(":")[0],
            gateway_reference__in=("", event.gateway_reference),
        ).first()  # fmt: skip
    if refund is None:
        return "unknown_reference"
    if refund.status not in OPEN:
        return "ignored"
    data = event.data or {}
    if event.type == "refund.succeeded":
        result = Approved(gateway_reference=event.gateway_reference, amount=event.amount)
    elif event.type == "refund.failed":
        result = Declined(
            code="refund_failed",
            decline_code=str(data.get("decline_code", "refund_failed")),
            network_code=str(data.get("network_code", "")),
            message=str(data.get("message", "The issuer refused the refund.")),
            gateway_reference=event.gateway_reference,
        )
    else:
        return "ignored"
    refund_record_result(
        refund_id=refund.pk, result=result, actor=Actor.system(f"connector:{connector.code}")
    )
    return "applied"
