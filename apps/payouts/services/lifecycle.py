"""Payouts from creation to release or return. Money moves only through the ledger
(apps.ledger.services.ledger_payout_*): creation moves available → in transit under the
merchant's balance lock, failure / cancel / rejection returns the funds."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.approvals.services import approval_request_create
from apps.audit.services import Actor, audit_record
from apps.core.currencies import format_amount, get_currency, validate_amount
from apps.core.ids import generate_id
from apps.ledger.services import ledger_payout_debit, ledger_payout_return
from apps.merchants.selectors import merchant_settings_get
from apps.webhooks.services import event_record

from ..errors import (
    BankAccountMissing,
    PayoutCannotFail,
    PayoutCurrencyMismatch,
    PayoutNotAwaitingApproval,
    PayoutNotCancelable,
    ReasonMissing,
)
from ..models import BankAccount, Payout
from ..payloads import payout_payload
from ..selectors import bank_account_default, bank_account_get
from ..transitions import assert_transition


def _payout_event(payout: Payout, event_type: str, previous: dict | None = None) -> None:
    event_record(
        merchant=payout.merchant,
        livemode=payout.livemode,
        type=event_type,
        data=payout_payload(payout),
        previous_attributes=previous,
    )


def _payout_lock(payout_id: int) -> Payout:
    return (
        Payout.objects.select_for_update(of=("self",))
        .select_related("merchant", "destination")
        .get(pk=payout_id)
    )


def _destination(*, merchant, livemode: bool, currency: str, destination: str | None) -> BankAccount:
    """The bank account named by `destination`, else the default one for the currency."""
    if destination:
        bank_account = bank_account_get(
            merchant=merchant, livemode=livemode, id=destination, param="destination"
        )
        if bank_account.currency != currency:
            raise PayoutCurrencyMismatch(
                account_currency=bank_account.currency.lower(), currency=currency.lower()
            )
        return bank_account
    bank_account = bank_account_default(merchant=merchant, livemode=livemode, currency=currency)
    if bank_account is None:
        raise BankAccountMissing(currency=currency.lower())
    return bank_account


def payout_create(
    *,
    merchant,
    livemode: bool,
    amount: int,
    currency: str,
    actor: Actor,
    destination: str | None = None,
    description: str = "",
    statement_descriptor: str = "",
    metadata: dict | None = None,
    method: str = Payout.Method.STANDARD,
    automatic: bool = False,
) -> Payout:
    """Debits available (never below zero: the ledger's balance lock serializes concurrent
    payouts) and creates the payout `pending`. Above the merchant's payout_approval_threshold it
    waits for a finance approver (approval `required`) before the bank sees it."""
    currency = get_currency(currency).code
    validate_amount(amount, currency)
    bank_account = _destination(
        merchant=merchant, livemode=livemode, currency=currency, destination=destination
    )
    # The threshold of the payout's own currency (its minor units), else the single legacy one.
    threshold = merchant_settings_get(merchant).payout_threshold_for(currency)
    needs_approval = threshold is not None and amount > threshold
    with transaction.atomic():
        payout = Payout(
            public_id=generate_id(Payout.ID_PREFIX),
            merchant=merchant,
            livemode=livemode,
            amount=amount,
            currency=currency,
            destination=bank_account,
            method=method,
            automatic=automatic,
            description=description[:500],
            statement_descriptor=statement_descriptor[:22],
            metadata=metadata or {},
            approval=Payout.Approval.REQUIRED if needs_approval else Payout.Approval.NOT_REQUIRED,
            requested_by=actor.label,
        )
        balance_transaction = ledger_payout_debit(
            merchant=merchant,
            livemode=livemode,
            currency=currency,
            amount=amount,
            payout_id=payout.public_id,
            description=description or ("Automatic payout" if automatic else "Payout"),
        )
        payout.balance_transaction_id = balance_transaction.public_id
        payout.save()
        if needs_approval:
            request = approval_request_create(
                kind="payout",
                merchant=merchant,
                livemode=livemode,
                target_type="payouts.payout",
                target_id=payout.public_id,
                amount=amount,
                currency=currency,
                reason=f"Payout of {format_amount(amount, currency)} above the approval threshold of "
                f"{format_amount(threshold, currency)}",
                requested_by=actor,
                payload={"payout": payout.public_id},
            )
            payout.approval_request_id = request.public_id
            payout.save(update_fields=["approval_request_id", "updated_at"])
        audit_record(
            actor=actor,
            action="payout.created",
            merchant=merchant,
            obj=payout,
            after={
                "amount": amount,
                "currency": currency,
                "destination": bank_account.public_id,
                "approval": payout.approval,
                "automatic": automatic,
            },
        )
        _payout_event(payout, "payout.created")
    return payout


def payout_cancel(*, payout: Payout, actor: Actor, reason: str = "") -> Payout:
    """Only while pending and not yet handed to the bank; the funds return to available."""
    with transaction.atomic():
        payout = _payout_lock(payout.pk)
        if payout.status != Payout.Status.PENDING or payout.submission != Payout.Submission.NOT_SENT:
            raise PayoutNotCancelable(payout_status=payout.status)
        _funds_return(
            payout,
            Payout.Status.CANCELED,
            actor=actor,
            action="payout.canceled",
            reason=reason,
            kind="cancel",
        )
    return payout


def _funds_return(payout: Payout, status: str, *, actor: Actor, action: str, reason: str, kind: str) -> None:
    """Moves a locked payout to canceled or failed and gives its funds back to available."""
    previous = {"status": payout.status}
    assert_transition(payout.status, status)
    now = timezone.now()
    payout.status = status
    if status == Payout.Status.CANCELED:
        payout.canceled_at = now
    else:
        payout.failed_at = now
    payout.save()
    ledger_payout_return(
        merchant=payout.merchant,
        livemode=payout.livemode,
        currency=payout.currency,
        amount=payout.amount,
        payout_id=payout.public_id,
        reason=kind,
    )
    audit_record(
        actor=actor,
        action=action,
        merchant=payout.merchant,
        obj=payout,
        before=previous,
        after={"status": status, "failure_code": payout.failure_code},
        reason=reason,
    )
    _payout_event(
        payout, "payout.canceled" if status == Payout.Status.CANCELED else "payout.failed", previous
    )


def _payout_decide(payout_id: str, decision: str, user) -> Payout:
    """Locks a payout that waits for approval and records the approver's decision on it."""
    payout = _payout_lock(Payout.objects.get(public_id=payout_id).pk)
    if payout.approval != Payout.Approval.REQUIRED or payout.status != Payout.Status.PENDING:
        raise PayoutNotAwaitingApproval(payout_status=payout.status, approval=payout.approval)
    payout.approval = decision
    payout.decided_by = user if user is not None and getattr(user, "pk", None) else None
    return payout


def payout_approve(*, payout_id: str, actor: Actor, user=None, reason: str = "") -> Payout:
    """Releases a payout that waited for approval (the approvals executor for kind "payout")."""
    with transaction.atomic():
        payout = _payout_decide(payout_id, Payout.Approval.APPROVED, user)
        payout.save()
        audit_record(
            actor=actor,
            action="payout.approved",
            merchant=payout.merchant,
            obj=payout,
            after={"approval": payout.approval},
            reason=reason,
        )
        _payout_event(payout, "payout.updated", {"approval": Payout.Approval.REQUIRED})
    return payout


def payout_reject(*, payout_id: str, actor: Actor, user=None, reason: str = "") -> Payout:
    """Refuses a payout that waited for approval: canceled, funds back to available."""
    with transaction.atomic():
        payout = _payout_decide(payout_id, Payout.Approval.REJECTED, user)
        payout.failure_message = (reason or "Rejected by an approver")[:500]
        _funds_return(
            payout,
            Payout.Status.CANCELED,
            actor=actor,
            action="payout.rejected",
            reason=reason,
            kind="cancel",
        )
    return payout


def payout_mark_failed(
    *, payout: Payout, actor: Actor, reason: str, failure_code: str = "could_not_process"
) -> Payout:
    """Finance marks a pending or in-transit payout failed (the bank told them); funds return."""
    if not (reason or "").strip():
        raise ReasonMissing()
    with transaction.atomic():
        payout = _payout_lock(payout.pk)
        open_statuses = (Payout.Status.PENDING, Payout.Status.IN_TRANSIT)
        if payout.status not in open_statuses or payout.submission == Payout.Submission.SUBMITTING:
            raise PayoutCannotFail(payout_status=payout.status)
        payout.failure_code = failure_code
        payout.failure_message = reason[:500]
        _funds_return(
            payout,
            Payout.Status.FAILED,
            actor=actor,
            action="payout.marked_failed",
            reason=reason,
            kind="failure",
        )
    return payout
