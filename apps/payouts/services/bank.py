"""Handing released payouts to the bank and recording what it answers:
lock → mark submitting → commit → call the bank (our idempotency key) → lock → record."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.core.clock import ClockScope, clock_filter
from apps.ledger.services import ledger_payout_paid

from ..models import BankAccount, Payout
from ..transitions import assert_transition
from .bank_accounts import bank_account_number
from .lifecycle import _funds_return, _payout_event, _payout_lock

RELEASED = (Payout.Approval.NOT_REQUIRED, Payout.Approval.APPROVED)


def _bank_submit(payout: Payout):
    """The bank call; it dedupes on our key, so a re-drive after a crash is safe."""
    return gateway.payout_submit(
        idempotency_key=payout.bank_key,
        amount=payout.amount,
        currency=payout.currency,
        account_number=bank_account_number(payout.destination),
        today=timezone.now().date(),
    )


def _in_transit_mark(payout: Payout, submitted, *, settle_after) -> None:
    payout.status = Payout.Status.IN_TRANSIT
    payout.submission = Payout.Submission.SUBMITTED
    payout.bank_reference = submitted.reference
    payout.arrival_date = submitted.arrival_date
    payout.settle_after = settle_after
    payout.save()


def payout_submit(*, payout_id: int, actor: Actor | None = None) -> Payout:
    """Hands a pending, released payout to the bank; it goes in transit."""
    actor = actor or Actor.system("payouts")
    with transaction.atomic():
        payout = _payout_lock(payout_id)
        ready = payout.status == Payout.Status.PENDING and payout.approval in RELEASED
        if not ready or payout.submission == Payout.Submission.SUBMITTED:
            return payout
        payout.submission = Payout.Submission.SUBMITTING
        payout.submitted_at = timezone.now()
        payout.save(update_fields=["submission", "submitted_at", "updated_at"])
    submitted = _bank_submit(payout)
    with transaction.atomic():
        payout = _payout_lock(payout_id)
        if payout.submission != Payout.Submission.SUBMITTING:
            return payout
        assert_transition(payout.status, Payout.Status.IN_TRANSIT)
        _in_transit_mark(
            payout,
            submitted,
            settle_after=timezone.now()
            + timedelta(seconds=getattr(settings, "PAYOUTS_SANDBOX_SETTLE_SECONDS", 60)),
        )
        audit_record(
            actor=actor,
            action="payout.in_transit",
            merchant=payout.merchant,
            obj=payout,
            after={"bank_reference": payout.bank_reference},
        )
        _payout_event(payout, "payout.updated", {"status": Payout.Status.PENDING})
    return payout


def _payout_resubmit(payout_id: int) -> None:
    """Re-drives a payout left `submitting` by a crash."""
    payout = Payout.objects.select_related("destination", "merchant").get(pk=payout_id)
    submitted = _bank_submit(payout)
    with transaction.atomic():
        payout = _payout_lock(payout_id)
        if payout.submission != Payout.Submission.SUBMITTING or payout.status != Payout.Status.PENDING:
            return
        _in_transit_mark(payout, submitted, settle_after=timezone.now())
        _payout_event(payout, "payout.updated", {"status": Payout.Status.PENDING})


def _payout_mark_paid(payout: Payout, actor: Actor) -> None:
    assert_transition(payout.status, Payout.Status.PAID)
    payout.status = Payout.Status.PAID
    payout.paid_at = timezone.now()
    payout.save()
    ledger_payout_paid(
        merchant=payout.merchant,
        livemode=payout.livemode,
        currency=payout.currency,
        amount=payout.amount,
        payout_id=payout.public_id,
    )
    if payout.destination.status == BankAccount.Status.NEW:
        BankAccount.objects.filter(pk=payout.destination_id).update(status=BankAccount.Status.VERIFIED)
    audit_record(actor=actor, action="payout.paid", merchant=payout.merchant, obj=payout)
    _payout_event(payout, "payout.paid", {"status": Payout.Status.IN_TRANSIT})


def payout_settle(*, payout_id: int, actor: Actor | None = None) -> Payout:
    """Asks the bank for the outcome of an in-transit payout, then records paid or failed."""
    actor = actor or Actor.system("payouts")
    payout = Payout.objects.select_related("destination", "merchant").get(pk=payout_id)
    if payout.status != Payout.Status.IN_TRANSIT:
        return payout
    outcome = gateway.payout_outcome(
        reference=payout.bank_reference, account_number=bank_account_number(payout.destination)
    )
    with transaction.atomic():
        payout = _payout_lock(payout_id)
        if payout.status != Payout.Status.IN_TRANSIT:
            return payout
        if outcome.paid:
            _payout_mark_paid(payout, actor)
        else:
            payout.failure_code = outcome.failure_code
            payout.failure_message = outcome.failure_message
            BankAccount.objects.filter(pk=payout.destination_id).update(status=BankAccount.Status.ERRORED)
            _funds_return(
                payout,
                Payout.Status.FAILED,
                actor=actor,
                action="payout.failed",
                reason=outcome.failure_message,
                kind="failure",
            )
    return payout


def payouts_submit_due() -> int:
    """Beat: hands pending, released payouts to the bank; re-drives any left `submitting` by a
    crash more than 5 minutes ago (the bank dedupes on our key)."""
    stale = timezone.now() - timedelta(minutes=5)
    ids = list(
        Payout.objects.filter(
            status=Payout.Status.PENDING, approval__in=RELEASED, submission=Payout.Submission.NOT_SENT
        ).values_list("pk", flat=True)[:500]
    )
    for payout_id in ids:
        payout_submit(payout_id=payout_id)
    stuck = list(
        Payout.objects.filter(
            status=Payout.Status.PENDING, submission=Payout.Submission.SUBMITTING, submitted_at__lt=stale
        ).values_list("pk", flat=True)[:100]
    )
    for payout_id in stuck:
        _payout_resubmit(payout_id)
    return len(ids) + len(stuck)


def payouts_settle_due(*, now=None, scope: ClockScope | None = None) -> int:
    """Beat: asks the bank about in-transit payouts due to arrive (with a test clock's ``scope``,
    that clock's payouts at its time; without, all but the clocks')."""
    due = Payout.objects.filter(status=Payout.Status.IN_TRANSIT, settle_after__lte=now or timezone.now())
    ids = list(clock_filter(due, scope=scope).values_list("pk", flat=True)[:500])
    for payout_id in ids:
        payout_settle(payout_id=payout_id)
    return len(ids)
