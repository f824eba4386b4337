"""Payout postings (called by apps.payouts inside its own transactions): available → payouts in
transit → bank, or back to available when a payout fails or is canceled."""

from __future__ import annotations

from ..accounts import platform_ref
from ..errors import BalanceInsufficient
from ..models import Account, BalanceTransaction, JournalEntry
from .booking import BalanceLine, _book, _entry_existing, _post


def ledger_payout_debit(
    *, merchant, livemode: bool, currency: str, amount: int, payout_id: str, description: str = ""
) -> BalanceTransaction:
    """Moves `amount` from available to payouts in transit. Refuses (balance_insufficient) when
    available does not cover it: the state lock serializes concurrent payouts, so a balance is
    never overdrawn."""
    currency = currency.upper()

    def refuse_overdraft(available: int) -> None:
        if amount <= 0 or amount > available:
            raise BalanceInsufficient(available=max(available, 0), currency=currency.lower(), amount=amount)

    return _book(
        kind=JournalEntry.Kind.PAYOUT,
        merchant=merchant,
        livemode=livemode,
        currency=currency,
        merchant_amount=-amount,
        guard=refuse_overdraft,
        legs=[(platform_ref(livemode, Account.Kind.PAYOUTS_IN_TRANSIT, currency), amount)],
        source_type="payout",
        source_id=payout_id,
        idempotency_key=f"payout:{payout_id}",
        description=description or f"Payout {payout_id}",
        line=BalanceLine(
            type=BalanceTransaction.Type.PAYOUT,
            amount=-amount,
            net=-amount,
            payout_id=payout_id,
            description=description,
        ),
    ).balance_transaction


def ledger_payout_paid(
    *, merchant, livemode: bool, currency: str, amount: int, payout_id: str
) -> JournalEntry:
    key = f"payout_paid:{payout_id}"
    return _entry_existing(key) or _post(
        kind=JournalEntry.Kind.PAYOUT_PAID,
        merchant=merchant,
        livemode=livemode,
        legs=[
            (platform_ref(livemode, Account.Kind.PAYOUTS_IN_TRANSIT, currency.upper()), -amount),
            (platform_ref(livemode, Account.Kind.BANK, currency.upper()), amount),
        ],
        source_type="payout",
        source_id=payout_id,
        idempotency_key=key,
        description=f"Payout {payout_id} paid",
    )


def ledger_payout_return(
    *, merchant, livemode: bool, currency: str, amount: int, payout_id: str, reason: str = "failure"
) -> BalanceTransaction:
    """A failed or canceled payout: the funds go back to available (repaying debt first)."""
    currency = currency.upper()
    key = f"payout_return:{payout_id}"
    existing = _entry_existing(key)
    if existing is not None:
        return BalanceTransaction.objects.get(journal_entry=existing)
    canceled = reason == "cancel"
    return _book(
        kind=JournalEntry.Kind.PAYOUT_RETURN,
        merchant=merchant,
        livemode=livemode,
        currency=currency,
        merchant_amount=amount,
        legs=[(platform_ref(livemode, Account.Kind.PAYOUTS_IN_TRANSIT, currency), -amount)],
        source_type="payout",
        source_id=payout_id,
        idempotency_key=key,
        description=f"Payout {payout_id} {'canceled' if canceled else 'failed'}",
        line=BalanceLine(
            type=BalanceTransaction.Type.PAYOUT_CANCEL
            if canceled
            else BalanceTransaction.Type.PAYOUT_FAILURE,
            amount=amount,
            net=amount,
            payout_id=payout_id,
        ),
    ).balance_transaction
