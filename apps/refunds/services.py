"""Every write to refunds. Same discipline as intents: lock (intent, then charge, then refund),
check, commit; call the provider outside any transaction; lock again and record.

The sum of non-failed, non-canceled refunds of a charge never exceeds its captured amount: the
check runs under the intent and charge row locks, so concurrent refunds serialize on it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Approved, Declined, Pending, RetryableError
from apps.core.errors import NotFoundError
from apps.intents.locks import charge_lock, payment_intent_lock
from apps.intents.models import Charge, PaymentIntent
from apps.intents.payloads import charge_to_dict
from apps.intents.services.janitor import (
    ESCALATE_AFTER,
    connectors_split_by_lookup,
    not_escalated,
    recheck_escalate,
)
from apps.ledger.services import ledger_record_refund
from apps.merchants.selectors import merchant_settings_get
from apps.webhooks.services import event_record

from .errors import (
    ChargeAlreadyRefunded,
    ChargeNotCaptured,
    PaymentIntentNotRefundable,
    RefundAmountNotPositive,
    RefundAmountTooLarge,
    RefundCancelRefused,
    RefundCancelUnavailable,
    RefundChargeMissing,
    RefundChargeNotOfPaymentIntent,
    RefundNotAwaitingApproval,
    RefundNotCancelable,
    RefundPaymentIntentMissing,
    RefundReasonRequired,
    RefundTargetMissing,
)
from .models import Refund
from .payloads import refund_to_dict
from .transitions import assert_transition

# A refund the provider may still answer about.
OPEN = (Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION)


def _event(refund: Refund, type_: str, previous: dict | None = None) -> None:
    event_record(
        merchant=refund.merchant,
        livemode=refund.livemode,
        type=type_,
        data=refund_to_dict(refund),
        previous_attributes=previous,
    )


def _charge_event(charge: Charge, type_: str) -> None:
    event_record(merchant=charge.merchant, livemode=charge.livemode, type=type_, data=charge_to_dict(charge))


def _lock_all(refund_id: int) -> tuple[PaymentIntent, Charge, Refund]:
    """Locks in the house order (apps.intents.locks): intent, charge, then the refund."""
    ids = Refund.objects.filter(pk=refund_id).values("payment_intent_id", "charge_id").first()
    if ids is None:
        raise NotFoundError("refund", str(refund_id))
    intent = payment_intent_lock(ids["payment_intent_id"])
    charge = charge_lock(ids["charge_id"], intent)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    refund.payment_intent = intent
    refund.charge = charge
    return intent, charge, refund


def _resolve_refund_id(refund_id) -> int:
    if isinstance(refund_id, int):
        return refund_id
    pk = Refund.objects.filter(public_id=str(refund_id)).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFoundError("refund", str(refund_id))
    return pk


def refundable_amount(charge: Charge) -> int:
    """Captured minus every refund that still counts (call with the charge locked)."""
    reserved = (
        Refund.objects.filter(charge=charge)
        .exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return charge.amount_captured - reserved


# ---------------------------------------------------------------------------------------------
# create / submit
# ---------------------------------------------------------------------------------------------


def _refund_target(*, merchant, livemode: bool, payment_intent: str | None, charge: str | None):
    """(intent pk, charge pk or None) of the payment to refund, from the public ids given."""
    if not payment_intent and not charge:
        raise RefundTargetMissing()
    if charge:
        row = Charge.objects.filter(merchant=merchant, livemode=livemode, public_id=charge).values(
            "pk", "payment_intent_id", "payment_intent__public_id"
        ).first()  # fmt: skip
        if row is None:
            raise RefundChargeMissing(id=charge)
        if payment_intent and row["payment_intent__public_id"] != payment_intent:
            raise RefundChargeNotOfPaymentIntent()
        return row["payment_intent_id"], row["pk"]
    intent_pk = (
        PaymentIntent.objects.filter(merchant=merchant, livemode=livemode, public_id=payment_intent)
        .values_list("pk", flat=True)
        .first()
    )
    if intent_pk is None:
        raise RefundPaymentIntentMissing(id=payment_intent)
    return intent_pk, None


def refund_create(
    *,
    merchant,
    livemode: bool,
    actor: Actor,
    payment_intent: str | None = None,
    charge: str | None = None,
    amount: int | None = None,
    reason: str = "",
    metadata: dict | None = None,
    staff_reason: str = "",
) -> Refund:
    """`staff_reason` is the back office's why: kept on the audit entry and the approval request,
    never in `metadata` (which the merchant sees)."""
    intent_pk, charge_pk = _refund_target(
        merchant=merchant, livemode=livemode, payment_intent=payment_intent, charge=charge
    )
    if amount is not None and amount <= 0:
        raise RefundAmountNotPositive()
    merchant_settings = merchant_settings_get(merchant)

    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_pk)
        if charge_pk is None:
            charge_pk = (
                intent.charges.filter(captured=True).order_by("-id").values_list("pk", flat=True).first()
                or intent.latest_charge_id
            )
        if intent.status != PaymentIntent.Status.SUCCEEDED or charge_pk is None:
            raise PaymentIntentNotRefundable(intent_status=intent.status, extra={"status": intent.status})
        locked = charge_lock(charge_pk, intent)
        if not locked.captured or locked.amount_captured <= 0:
            raise ChargeNotCaptured(charge=locked.public_id, param="charge" if charge else "payment_intent")
        remaining = refundable_amount(locked)
        if remaining <= 0:
            raise ChargeAlreadyRefunded(charge=locked.public_id)
        value = remaining if amount is None else amount
        if value > remaining:
            raise RefundAmountTooLarge(amount=value, remaining=remaining)
        # The threshold of the refund's own currency (its minor units), else the single legacy one.
        threshold = merchant_settings.refund_threshold_for(locked.currency)
        needs_approval = threshold is not None and value > threshold
        refund = Refund(
            merchant=intent.merchant,
            livemode=intent.livemode,
            payment_intent=intent,
            charge=locked,
            amount=value,
            currency=locked.currency,
            status=Refund.Status.REQUIRES_APPROVAL if needs_approval else Refund.Status.PENDING,
            submission=Refund.Submission.NOT_SENT if needs_approval else Refund.Submission.SUBMITTING,
            submitted_at=None if needs_approval else timezone.now(),
            reason=reason or "",
            metadata=metadata or {},
            requested_by=actor.label[:200],
        )
        refund.save()
        audit_record(
            actor=actor, action="refund.create", merchant=intent.merchant, obj=refund,
            after={"amount": value, "currency": refund.currency, "charge": locked.public_id,
                   "status": refund.status, "reason": refund.reason},
            reason=staff_reason,
        )  # fmt: skip
        _event(refund, "refund.created")
        if needs_approval:
            _approval_open(refund, actor, staff_reason=staff_reason)
    if needs_approval:
        return refund
    return _submit(refund, locked, actor=actor)


def _approval_open(refund: Refund, actor: Actor, *, staff_reason: str = "") -> None:
    """Opens the maker-checker request of a refund parked in `requires_approval` (same transaction)."""
    from django.contrib.auth import get_user_model

    from apps.approvals.services import approval_request_create

    reason = staff_reason or refund.reason or "above the approval threshold"
    user = None
    if actor.type == "staff" and str(actor.id).isdigit():
        user = get_user_model().objects.filter(pk=int(actor.id)).first()
    approval_request_create(
        kind="refund",
        merchant=refund.merchant,
        livemode=refund.livemode,
        target_type="refund",
        target_id=refund.public_id,
        amount=refund.amount,
        currency=refund.currency,
        reason=reason,
        requested_by=actor,
        requested_by_user=user,
        payload={"payment_intent_id": refund.payment_intent.public_id, "charge_id": refund.charge.public_id},
    )


def _submit(refund: Refund, charge: Charge, *, actor: Actor) -> Refund:
    """Step 2 (no transaction open): ask the provider, then record."""
    result = gateway.refund(
        connector=charge.connector,
        idempotency_key=refund.provider_key,
        gateway_reference=charge.gateway_reference,
        amount=refund.amount,
        currency=refund.currency,
        metadata={**(refund.payment_intent.metadata or {}), **(refund.metadata or {})},
    )
    return refund_record_result(refund_id=refund.pk, result=result, actor=actor)


def refund_record_result(*, refund_id: int, result, actor: Actor) -> Refund:
    """Step 3: lock and record the provider's answer (also the janitor's and inbound events').
    A refund already final is left alone, so replays change nothing."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        intent, charge, refund = _lock_all(refund_id)
        if refund.status not in OPEN:
            return refund
        previous = {"status": refund.status}
        if isinstance(result, Approved):
            assert_transition(refund, Refund.Status.SUCCEEDED)
            refund.status = Refund.Status.SUCCEEDED
            refund.submission = Refund.Submission.DONE
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.succeeded_at = now
            refund.save()
            charge.amount_refunded += refund.amount
            charge.save(update_fields=["amount_refunded", "updated_at"])
            intent.amount_refunded += refund.amount
            intent.save(update_fields=["amount_refunded", "updated_at"])
            ledger_record_refund(refund=refund)
            audit_record(
                actor=actor, action="refund.succeeded", merchant=refund.merchant, obj=refund,
                after={"amount": refund.amount, "gateway_reference": refund.gateway_reference},
            )  # fmt: skip
            _event(refund, "refund.updated", previous)
            _charge_event(charge, "charge.refunded")
        elif isinstance(result, Pending):
            refund.submission = Refund.Submission.ACCEPTED
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.save(update_fields=["submission", "gateway_reference", "updated_at"])
        elif isinstance(result, Declined):
            assert_transition(refund, Refund.Status.FAILED)
            refund.status = Refund.Status.FAILED
            refund.submission = Refund.Submission.DONE
            refund.failure_reason = result.code or "declined"
            refund.failure_message = (result.message or "")[:500]
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.failed_at = now
            refund.save()
            audit_record(
                actor=actor, action="refund.failed", merchant=refund.merchant, obj=refund,
                after={"failure_reason": refund.failure_reason, "message": refund.failure_message},
            )  # fmt: skip
            _event(refund, "refund.failed", previous)
        elif isinstance(result, RetryableError):
            refund.submission = (
                Refund.Submission.UNKNOWN if result.outcome_unknown else Refund.Submission.NOT_SENT
            )
            refund.failure_message = result.message[:500]
            refund.save(update_fields=["submission", "failure_message", "updated_at"])
    return refund


# ---------------------------------------------------------------------------------------------
# approval (maker-checker), cancel
# ---------------------------------------------------------------------------------------------


def refund_approve(*, refund_id, actor: Actor, reason: str) -> Refund:
    """A support lead approves a refund waiting above the merchant's threshold; it is then sent."""
    if not reason or not reason.strip():
        raise RefundReasonRequired(verb="approve")
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, charge, refund = _lock_all(pk)
        if refund.status != Refund.Status.REQUIRES_APPROVAL:
            raise RefundNotAwaitingApproval(refund_status=refund.status, done="approved")
        _decide(refund, actor, reason)
        assert_transition(refund, Refund.Status.PENDING)
        refund.status = Refund.Status.PENDING
        refund.submission = Refund.Submission.SUBMITTING
        refund.submitted_at = timezone.now()
        refund.save()
        audit_record(
            actor=actor, action="refund.approved", merchant=refund.merchant, obj=refund,
            before={"status": Refund.Status.REQUIRES_APPROVAL}, after={"status": Refund.Status.PENDING}, reason=reason,
        )  # fmt: skip
        _event(refund, "refund.updated", {"status": Refund.Status.REQUIRES_APPROVAL})
    return _submit(refund, charge, actor=actor)


def refund_reject(*, refund_id, actor: Actor, reason: str) -> Refund:
    if not reason or not reason.strip():
        raise RefundReasonRequired(verb="reject")
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, _charge, refund = _lock_all(pk)
        if refund.status != Refund.Status.REQUIRES_APPROVAL:
            raise RefundNotAwaitingApproval(refund_status=refund.status, done="rejected")
        _decide(refund, actor, reason)
        assert_transition(refund, Refund.Status.CANCELED)
        refund.status = Refund.Status.CANCELED
        refund.failure_reason = "rejected"
        refund.canceled_at = timezone.now()
        refund.save()
        audit_record(
            actor=actor, action="refund.rejected", merchant=refund.merchant, obj=refund,
            before={"status": Refund.Status.REQUIRES_APPROVAL}, after={"status": Refund.Status.CANCELED}, reason=reason,
        )  # fmt: skip
        _event(refund, "refund.updated", {"status": Refund.Status.REQUIRES_APPROVAL})
    return refund


def _decide(refund: Refund, actor: Actor, reason: str) -> None:
    refund.decided_at = timezone.now()
    refund.decision_reason = reason.strip()[:500]
    if actor.type == "staff" and actor.id.isdigit():
        refund.decided_by_id = int(actor.id)


def refund_cancel(*, refund_id, actor: Actor, reason: str = "") -> Refund:
    """Cancels a refund that has not reached the customer: waiting for approval, not yet sent,
    or accepted by the provider but still pending (the provider is asked to stop it)."""
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, charge, refund = _lock_all(pk)
        cancellable_now = refund.status == Refund.Status.REQUIRES_APPROVAL or (
            refund.status in OPEN and refund.submission == Refund.Submission.NOT_SENT
        )
        if cancellable_now:
            was_waiting = refund.status == Refund.Status.REQUIRES_APPROVAL
            _mark_canceled(refund, actor=actor, reason=reason)
            if was_waiting:
                from apps.approvals.services import approval_request_cancel

                approval_request_cancel(
                    target_type="refund", target_id=refund.public_id, actor=actor,
                    reason=reason or "the refund was canceled",
                )  # fmt: skip
            return refund
        if not (refund.status in OPEN and refund.submission == Refund.Submission.ACCEPTED):
            raise RefundNotCancelable(refund_status=refund.status, extra={"status": refund.status})
        gateway_reference = refund.gateway_reference
    result = gateway.void(
        connector=charge.connector,
        idempotency_key=f"{refund.public_id}:cancel",
        gateway_reference=gateway_reference,
        amount=refund.amount,
        currency=refund.currency,
    )
    with transaction.atomic(durable=True):
        _intent, charge, refund = _lock_all(pk)
        if refund.status not in OPEN:
            raise RefundNotCancelable(refund_status=refund.status, extra={"status": refund.status})
        if not isinstance(result, Approved):
            raise RefundCancelRefused() if isinstance(result, Declined) else RefundCancelUnavailable()
        _mark_canceled(refund, actor=actor, reason=reason)
    return refund


def _mark_canceled(refund: Refund, *, actor: Actor, reason: str) -> None:
    previous = {"status": refund.status}
    assert_transition(refund, Refund.Status.CANCELED)
    refund.status = Refund.Status.CANCELED
    refund.submission = (
        Refund.Submission.DONE if refund.submission == Refund.Submission.ACCEPTED else refund.submission
    )
    refund.canceled_at = timezone.now()
    refund.save()
    audit_record(
        actor=actor, action="refund.canceled", merchant=refund.merchant, obj=refund, before=previous,
        after={"status": Refund.Status.CANCELED}, reason=reason,
    )  # fmt: skip
    _event(refund, "refund.updated", previous)


def refund_update(*, refund_id, actor: Actor, metadata: dict) -> Refund:
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        refund = Refund.objects.select_for_update().get(pk=pk)
        previous = {"metadata": refund.metadata}
        refund.metadata = metadata or {}
        refund.save(update_fields=["metadata", "updated_at"])
        audit_record(actor=actor, action="refund.update", merchant=refund.merchant, obj=refund, before=previous,
                     after={"metadata": refund.metadata})  # fmt: skip
        _event(refund, "refund.updated", previous)
    return refund


# ---------------------------------------------------------------------------------------------
# janitor and inbound events
# ---------------------------------------------------------------------------------------------


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
