"""Every write to refunds. Same discipline as intents: lock (intent, then charge, then refund),
check, commit; call the provider outside any transaction; lock again and record.

The sum of non-failed, non-canceled refunds of a charge never exceeds its captured amount: the
check runs under the intent and charge row locks, so concurrent refunds serialize on it.
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Approved, Declined, Pending, RetryableError
from apps.core.errors import ApplicationError, InvalidRequestError, NotFoundError, StateConflictError
from apps.intents.models import Charge, PaymentIntent
from apps.merchants.selectors import merchant_settings_get
from apps.webhooks.services import event_record

from .api.serializers import refund_to_dict
from .models import Refund
from .transitions import assert_transition

R = Refund.Status
SUB = Refund.Submission


def _ledger_on_refund(refund: Refund) -> None:
    if importlib.util.find_spec("apps.ledger.services") is None:
        return
    from apps.ledger import services as hooks

    if hasattr(hooks, "on_refund"):
        hooks.on_refund(refund=refund)


def _event(refund: Refund, type_: str, previous: dict | None = None) -> None:
    event_record(
        merchant=refund.merchant,
        livemode=refund.livemode,
        type=type_,
        data=refund_to_dict(refund),
        previous_attributes=previous,
    )


def _charge_event(charge: Charge, type_: str) -> None:
    from apps.intents.api.serializers import charge_to_dict

    event_record(merchant=charge.merchant, livemode=charge.livemode, type=type_, data=charge_to_dict(charge))


def _lock_all(refund_id: int) -> tuple[PaymentIntent, Charge, Refund]:
    """Locks in the house order: intent, charge, refund."""
    ids = Refund.objects.filter(pk=refund_id).values("payment_intent_id", "charge_id").first()
    if ids is None:
        raise NotFoundError("refund", str(refund_id))
    intent = (
        PaymentIntent.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .get(pk=ids["payment_intent_id"])
    )
    charge = (
        Charge.objects.select_for_update(of=("self",)).select_related("connector").get(pk=ids["charge_id"])
    )
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    charge.payment_intent = intent
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
        .exclude(status__in=[R.FAILED, R.CANCELED])
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return charge.amount_captured - reserved


# ---------------------------------------------------------------------------------------------
# create / submit
# ---------------------------------------------------------------------------------------------


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
    if not payment_intent and not charge:
        raise InvalidRequestError(
            "One of payment_intent or charge is required.", code="parameter_missing", param="payment_intent"
        )
    intent_pk = charge_pk = None
    if charge:
        row = Charge.objects.filter(merchant=merchant, livemode=livemode, public_id=charge).values(
            "pk", "payment_intent_id", "payment_intent__public_id"
        ).first()  # fmt: skip
        if row is None:
            raise InvalidRequestError(f"No such charge: '{charge}'", code="resource_missing", param="charge")
        if payment_intent and row["payment_intent__public_id"] != payment_intent:
            raise InvalidRequestError(
                "The charge does not belong to this payment_intent.", code="parameter_invalid", param="charge"
            )
        charge_pk, intent_pk = row["pk"], row["payment_intent_id"]
    else:
        intent_pk = (
            PaymentIntent.objects.filter(merchant=merchant, livemode=livemode, public_id=payment_intent)
            .values_list("pk", flat=True)
            .first()
        )
        if intent_pk is None:
            raise InvalidRequestError(
                f"No such payment_intent: '{payment_intent}'", code="resource_missing", param="payment_intent"
            )
    if amount is not None and amount <= 0:
        raise InvalidRequestError(
            "Refund amount must be a positive integer.", code="amount_too_small", param="amount"
        )
    threshold = merchant_settings_get(merchant).refund_approval_threshold

    with transaction.atomic(durable=True):
        intent = (
            PaymentIntent.objects.select_for_update(of=("self",)).select_related("merchant").get(pk=intent_pk)
        )
        if charge_pk is None:
            charge_pk = (
                intent.charges.filter(captured=True).order_by("-id").values_list("pk", flat=True).first()
                or intent.latest_charge_id
            )
        if intent.status != PaymentIntent.Status.SUCCEEDED or charge_pk is None:
            raise StateConflictError(
                f"This PaymentIntent has a status of {intent.status} and has no captured charge to refund.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
                extra={"status": intent.status},
            )
        locked = Charge.objects.select_for_update(of=("self",)).select_related("connector").get(pk=charge_pk)
        if not locked.captured or locked.amount_captured <= 0:
            raise StateConflictError(
                f"Charge {locked.public_id} has not been captured; cancel the PaymentIntent instead.",
                code="charge_not_captured",
                param="charge" if charge else "payment_intent",
            )
        remaining = refundable_amount(locked)
        if remaining <= 0:
            raise StateConflictError(
                f"Charge {locked.public_id} has already been refunded.", code="charge_already_refunded"
            )
        value = remaining if amount is None else amount
        if value > remaining:
            raise InvalidRequestError(
                f"Refund amount ({value}) is greater than the unrefunded amount on the charge ({remaining}).",
                code="amount_too_large",
                param="amount",
            )
        needs_approval = threshold is not None and value > threshold
        refund = Refund(
            merchant=intent.merchant,
            livemode=intent.livemode,
            payment_intent=intent,
            charge=locked,
            amount=value,
            currency=locked.currency,
            status=R.REQUIRES_APPROVAL if needs_approval else R.PENDING,
            submission=SUB.NOT_SENT if needs_approval else SUB.SUBMITTING,
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
    return record_refund_result(refund_id=refund.pk, result=result, actor=actor)


def record_refund_result(*, refund_id: int, result, actor: Actor) -> Refund:
    """Step 3: lock and record the provider's answer (also the janitor's and inbound events').
    A refund already final is left alone, so replays change nothing."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        intent, charge, refund = _lock_all(refund_id)
        if refund.status not in (R.PENDING, R.REQUIRES_ACTION):
            return refund
        previous = {"status": refund.status}
        if isinstance(result, Approved):
            assert_transition(refund, R.SUCCEEDED)
            refund.status = R.SUCCEEDED
            refund.submission = SUB.DONE
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.succeeded_at = now
            refund.save()
            charge.amount_refunded += refund.amount
            charge.save(update_fields=["amount_refunded", "updated_at"])
            intent.amount_refunded += refund.amount
            intent.save(update_fields=["amount_refunded", "updated_at"])
            _ledger_on_refund(refund)
            audit_record(
                actor=actor, action="refund.succeeded", merchant=refund.merchant, obj=refund,
                after={"amount": refund.amount, "gateway_reference": refund.gateway_reference},
            )  # fmt: skip
            _event(refund, "refund.updated", previous)
            _charge_event(charge, "charge.refunded")
        elif isinstance(result, Pending):
            refund.submission = SUB.ACCEPTED
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.save(update_fields=["submission", "gateway_reference", "updated_at"])
        elif isinstance(result, Declined):
            assert_transition(refund, R.FAILED)
            refund.status = R.FAILED
            refund.submission = SUB.DONE
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
            refund.submission = SUB.UNKNOWN if result.outcome_unknown else SUB.NOT_SENT
            refund.failure_message = result.message[:500]
            refund.save(update_fields=["submission", "failure_message", "updated_at"])
    return refund


# ---------------------------------------------------------------------------------------------
# approval (maker-checker), cancel
# ---------------------------------------------------------------------------------------------


def refund_approve(*, refund_id, actor: Actor, reason: str) -> Refund:
    """A support lead approves a refund waiting above the merchant's threshold; it is then sent."""
    if not reason or not reason.strip():
        raise InvalidRequestError(
            "A reason is required to approve a refund.", code="parameter_missing", param="reason"
        )
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, charge, refund = _lock_all(pk)
        if refund.status != R.REQUIRES_APPROVAL:
            raise StateConflictError(
                f"This refund has a status of {refund.status}; only refunds requiring approval can be approved.",
                code="refund_unexpected_state",
            )
        _decide(refund, actor, reason)
        assert_transition(refund, R.PENDING)
        refund.status = R.PENDING
        refund.submission = SUB.SUBMITTING
        refund.submitted_at = timezone.now()
        refund.save()
        audit_record(
            actor=actor, action="refund.approved", merchant=refund.merchant, obj=refund,
            before={"status": R.REQUIRES_APPROVAL}, after={"status": R.PENDING}, reason=reason,
        )  # fmt: skip
        _event(refund, "refund.updated", {"status": R.REQUIRES_APPROVAL})
    return _submit(refund, charge, actor=actor)


def refund_reject(*, refund_id, actor: Actor, reason: str) -> Refund:
    if not reason or not reason.strip():
        raise InvalidRequestError(
            "A reason is required to reject a refund.", code="parameter_missing", param="reason"
        )
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, _charge, refund = _lock_all(pk)
        if refund.status != R.REQUIRES_APPROVAL:
            raise StateConflictError(
                f"This refund has a status of {refund.status}; only refunds requiring approval can be rejected.",
                code="refund_unexpected_state",
            )
        _decide(refund, actor, reason)
        assert_transition(refund, R.CANCELED)
        refund.status = R.CANCELED
        refund.failure_reason = "rejected"
        refund.canceled_at = timezone.now()
        refund.save()
        audit_record(
            actor=actor, action="refund.rejected", merchant=refund.merchant, obj=refund,
            before={"status": R.REQUIRES_APPROVAL}, after={"status": R.CANCELED}, reason=reason,
        )  # fmt: skip
        _event(refund, "refund.updated", {"status": R.REQUIRES_APPROVAL})
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
        cancellable_now = refund.status == R.REQUIRES_APPROVAL or (
            refund.status in (R.PENDING, R.REQUIRES_ACTION) and refund.submission == SUB.NOT_SENT
        )
        if cancellable_now:
            was_waiting = refund.status == R.REQUIRES_APPROVAL
            _mark_canceled(refund, actor=actor, reason=reason)
            if was_waiting:
                from apps.approvals.services import approval_request_cancel

                approval_request_cancel(
                    target_type="refund", target_id=refund.public_id, actor=actor,
                    reason=reason or "the refund was canceled",
                )  # fmt: skip
            return refund
        if not (refund.status in (R.PENDING, R.REQUIRES_ACTION) and refund.submission == SUB.ACCEPTED):
            raise StateConflictError(
                f"This refund has a status of {refund.status} and can no longer be canceled.",
                code="refund_unexpected_state",
                extra={"status": refund.status},
            )
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
        if refund.status not in (R.PENDING, R.REQUIRES_ACTION):
            raise StateConflictError(
                f"This refund has a status of {refund.status} and can no longer be canceled.",
                code="refund_unexpected_state",
                extra={"status": refund.status},
            )
        if not isinstance(result, Approved):
            raise ApplicationError(
                "The connector could not stop this refund; it is still pending.",
                code="refund_cancel_failed",
                status=409 if isinstance(result, Declined) else 503,
                type="invalid_request_error" if isinstance(result, Declined) else "api_error",
                stored=False,
            )
        _mark_canceled(refund, actor=actor, reason=reason)
    return refund


def _mark_canceled(refund: Refund, *, actor: Actor, reason: str) -> None:
    previous = {"status": refund.status}
    assert_transition(refund, R.CANCELED)
    refund.status = R.CANCELED
    refund.submission = SUB.DONE if refund.submission == SUB.ACCEPTED else refund.submission
    refund.canceled_at = timezone.now()
    refund.save()
    audit_record(
        actor=actor, action="refund.canceled", merchant=refund.merchant, obj=refund, before=previous,
        after={"status": R.CANCELED}, reason=reason,
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


def refunds_recheck(*, older_than: timedelta = timedelta(minutes=1), limit: int = 200) -> int:
    """Resolves pending refunds: sent but unanswered (ask the provider), never sent (send again
    under the same idempotency key — safe), or accepted and waiting (the provider's late answer)."""
    cutoff = timezone.now() - older_than
    actor = Actor.system("refund_recheck")
    done = 0
    rows = (
        Refund.objects.filter(status=R.PENDING, updated_at__lte=cutoff)
        .select_related("charge__connector", "payment_intent")
        .order_by("updated_at")[:limit]
    )
    for refund in rows:
        result = gateway.lookup(connector=refund.charge.connector, idempotency_key=refund.provider_key)
        if result is None:
            _submit(refund, refund.charge, actor=actor)
        elif isinstance(result, RetryableError):
            continue
        else:
            record_refund_result(refund_id=refund.pk, result=result, actor=actor)
        done += 1
    return done


def refund_apply_inbound_event(*, connector, event) -> str:
    """A verified provider event about a refund (refund.succeeded / refund.failed)."""
    refund = (
        Refund.objects.filter(charge__connector=connector, gateway_reference=event.gateway_reference)
        .order_by("-id")
        .first()
    )
    if refund is None:
        return "unknown_reference"
    if refund.status not in (R.PENDING, R.REQUIRES_ACTION):
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
    record_refund_result(
        refund_id=refund.pk, result=result, actor=Actor.system(f"connector:{connector.code}")
    )
    return "applied"
