"""The posting primitive. `_post` writes one balanced journal entry; `_book` (as django-hordak's
`transfer_to`) is the one sequence every merchant-facing posting goes through: lock the merchant's
balance state, turn the merchant's amount into legs, post, record the debt that is left and the
balance transaction the merchant sees.

Locking: postings that *debit* a merchant, or credit its available balance, lock its
`MerchantBalanceState` row for the currency (refunds, disputes, payouts, adjustments). New funds
(captures) take that lock only when the merchant is in debt (then they repay it first), so
captures of one merchant run in parallel like captures of different merchants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from ..accounts import AccountRef, accounts_get_or_create, merchant_ref
from ..models import Account, BalanceTransaction, JournalEntry, MerchantBalanceState, Posting
from ..selectors import merchant_balances

Leg = tuple[AccountRef, int]


@dataclass(frozen=True)
class BalanceLine:
    """The balance transaction a booking shows the merchant. `source_id=None`: the entry's."""

    type: str
    amount: int
    net: int
    fee_details: list = field(default_factory=list)
    exchange_rate: str = ""
    payout_id: str = ""
    description: str = ""
    available_on: datetime | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class Booking:
    entry: JournalEntry
    balance_transaction: BalanceTransaction | None


def _post(
    *,
    kind: str,
    merchant,
    livemode: bool,
    legs: list[Leg],
    source_type: str = "",
    source_id: str = "",
    idempotency_key: str | None = None,
    description: str = "",
    effective_at: datetime | None = None,
    public_id: str = "",
) -> JournalEntry:
    """Writes one entry and its postings. Legs on the same account are merged, zero legs dropped;
    the per-currency zero sum is checked here and again by the database at commit."""
    live = _legs_live(kind, legs)
    with transaction.atomic(savepoint=False):
        entry = _entry_build(
            public_id=public_id, kind=kind, merchant=merchant, livemode=livemode, source_type=source_type,
            source_id=source_id, idempotency_key=idempotency_key, description=description,
            effective_at=effective_at,
        )  # fmt: skip
        entry.save(force_insert=True)
        _insert_postings(entry, live)
    return entry


def _legs_live(kind: str, legs: list[Leg]) -> list[Leg]:
    """Legs on the same account merged, zero legs dropped; refuses an unbalanced entry."""
    merged: dict[str, list] = {}
    for ref, amount in legs:
        if ref.key in merged:
            merged[ref.key][1] += amount
        else:
            merged[ref.key] = [ref, amount]
    totals: dict[str, int] = {}
    for ref, amount in merged.values():
        totals[ref.currency] = totals.get(ref.currency, 0) + amount
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise ValueError(f"unbalanced journal entry {kind}: {unbalanced}")
    return [(ref, amount) for ref, amount in merged.values() if amount]


def _entry_build(
    *, public_id: str, kind: str, merchant, livemode: bool, source_type: str, source_id: str,
    idempotency_key: str | None, description: str, effective_at: datetime | None,
) -> JournalEntry:  # fmt: skip
    return JournalEntry(
        public_id=public_id,
        kind=kind,
        merchant=merchant,
        livemode=livemode,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        description=description[:500],
        effective_at=effective_at or timezone.now(),
    )


_POSTINGS_BY_KEY_SQL = """
    INSERT INTO ledger_posting (entry_id, account_id, amount, currency)
    SELECT %s, a.id, v.amount, v.currency
    FROM unnest(%s::text[], %s::bigint[], %s::text[]) WITH ORDINALITY AS v(key, amount, currency, ord)
    JOIN ledger_account a ON a.key = v.key
    ORDER BY v.ord
    RETURNING account_id
"""


def _insert_postings(entry: JournalEntry, live: list[Leg]) -> None:
    """One statement in the usual case: the postings are inserted joined to their accounts by key
    (no separate account lookup). Legs whose account does not exist yet are created race-free by
    `accounts_get_or_create` and inserted afterwards."""
    if not live:
        return
    inserted: set[int] = set()
    if connection.vendor != "postgresql":  # the embedded SQLite demo: no unnest(); plain ORM path
        _insert_postings_orm(entry, live, inserted)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _POSTINGS_BY_KEY_SQL,
            [
                entry.pk,
                [ref.key for ref, _ in live],
                [amount for _, amount in live],
                [ref.currency for ref, _ in live],
            ],
        )
        inserted = {row[0] for row in cursor.fetchall()}
    if len(inserted) == len(live):
        return
    _insert_postings_orm(entry, live, inserted)


def _insert_postings_orm(entry: JournalEntry, live: list[Leg], inserted: set[int]) -> None:
    accounts = accounts_get_or_create([ref for ref, _ in live])
    Posting.objects.bulk_create(
        [
            Posting(entry=entry, account=accounts[ref.key], amount=amount, currency=ref.currency)
            for ref, amount in live
            if accounts[ref.key].pk not in inserted
        ]
    )


def _entry_existing(idempotency_key: str) -> JournalEntry | None:
    return JournalEntry.objects.filter(idempotency_key=idempotency_key).first()


def _balance_state_lock(merchant, livemode: bool, currency: str) -> MerchantBalanceState:
    MerchantBalanceState.objects.bulk_create(
        [MerchantBalanceState(merchant=merchant, livemode=livemode, currency=currency)], ignore_conflicts=True
    )
    return MerchantBalanceState.objects.select_for_update().get(
        merchant=merchant, livemode=livemode, currency=currency
    )


def _debt_set(state: MerchantBalanceState, available_after: int) -> None:
    debt = max(0, -available_after)
    if debt != state.debt:
        state.debt = debt
        state.save(update_fields=["debt", "updated_at"])


def _merchant_legs(
    merchant, livemode: bool, currency: str, amount: int, balances: dict[str, int]
) -> tuple[list[Leg], int]:
    """A credit (`amount` ≥ 0) goes to available, which repays tracked debt first since debt is
    what available lacks. A debit takes available first, then pending; what neither covers is
    taken from available anyway and becomes tracked debt. Returns the legs and available after."""
    available, pending = balances[Account.Kind.AVAILABLE], balances[Account.Kind.PENDING]
    available_ref = merchant_ref(merchant, livemode, Account.Kind.AVAILABLE, currency)
    if amount >= 0:
        return [(available_ref, amount)], available + amount
    debit = -amount
    from_available = min(debit, max(available, 0))
    rest = debit - from_available
    from_pending = min(rest, max(pending, 0))
    shortfall = rest - from_pending
    legs = [
        (available_ref, -(from_available + shortfall)),
        (merchant_ref(merchant, livemode, Account.Kind.PENDING, currency), -from_pending),
    ]
    return legs, available - from_available - shortfall


def _new_funds_legs(
    merchant, livemode: bool, currency: str, amount: int
) -> tuple[list[Leg], int, MerchantBalanceState | None, int]:
    """New funds go to pending, except what repays tracked debt (straight to available).
    Returns the legs, the part that stays pending, the state locked (only when in debt) and
    available after."""
    debt = (
        MerchantBalanceState.objects.filter(merchant=merchant, livemode=livemode, currency=currency)
        .values_list("debt", flat=True)
        .first()
    )
    pending_ref = merchant_ref(merchant, livemode, Account.Kind.PENDING, currency)
    if not debt or amount <= 0:
        return [(pending_ref, amount)], amount, None, 0
    state = _balance_state_lock(merchant, livemode, currency)
    available = merchant_balances(merchant, livemode, currency)[Account.Kind.AVAILABLE]
    repay = min(amount, max(0, -available))
    legs = [
        (merchant_ref(merchant, livemode, Account.Kind.AVAILABLE, currency), repay),
        (pending_ref, amount - repay),
    ]
    return legs, amount - repay, state, available + repay


def _book(
    *,
    kind: str,
    merchant,
    livemode: bool,
    currency: str,
    merchant_amount: int,
    legs: list[Leg],
    line: BalanceLine | None,
    source_type: str,
    source_id: str = "",
    idempotency_key: str | None = None,
    description: str = "",
    effective_at: datetime | None = None,
    public_id: str = "",
    new_funds: bool = False,
    guard: Callable[[int], None] | None = None,
) -> Booking:
    """Posts `legs` plus the merchant's side: `merchant_amount` (signed, in `currency`) on its
    balance (see `_merchant_legs`; with `new_funds`, captures: `_new_funds_legs`). `guard` is
    called with the available balance under the lock and may refuse by raising. Then records the
    merchant's debt and, with a `line`, its balance transaction."""
    # One unit even when the caller runs in autocommit: the database checks the zero sum at commit.
    with transaction.atomic(savepoint=False):
        pending_part = 0
        if new_funds:
            merchant_side, pending_part, state, available_after = _new_funds_legs(
                merchant, livemode, currency, merchant_amount
            )
        else:
            state = _balance_state_lock(merchant, livemode, currency)
            balances = merchant_balances(merchant, livemode, currency)
            if guard is not None:
                guard(balances[Account.Kind.AVAILABLE])
            merchant_side, available_after = _merchant_legs(
                merchant, livemode, currency, merchant_amount, balances
            )
        entry = _post(
            kind=kind,
            merchant=merchant,
            livemode=livemode,
            legs=[*legs, *merchant_side],
            source_type=source_type,
            source_id=source_id,
            idempotency_key=idempotency_key,
            description=description,
            effective_at=effective_at,
            public_id=public_id,
        )
        if state is not None:
            _debt_set(state, available_after)
        balance_transaction = None
        if line is not None:
            balance_transaction = _balance_transaction_create(
                merchant=merchant,
                livemode=livemode,
                entry=entry,
                currency=currency,
                line=line,
                source_type=source_type,
                pending_amount=pending_part,
            )
        return Booking(entry=entry, balance_transaction=balance_transaction)


@dataclass
class BookingRows:
    """What `_book` writes for new funds to a merchant without debt, unsaved (`_book_rows`)."""

    entry: JournalEntry
    live: list[Leg]
    balance_transaction: BalanceTransaction | None


def _book_rows(
    *,
    kind: str,
    merchant,
    livemode: bool,
    currency: str,
    merchant_amount: int,
    legs: list[Leg],
    line: BalanceLine | None,
    source_type: str,
    source_id: str = "",
    idempotency_key: str | None = None,
    description: str = "",
    effective_at: datetime | None = None,
    public_id: str = "",
    new_funds: bool = False,
) -> BookingRows:
    """The rows `_book(new_funds=True)` writes when the merchant has no tracked debt (the caller
    read it as 0 in its transaction): everything to pending, no balance-state lock, no debt
    change. The caller inserts them (apps/ledger/sql.py); the zero sum is checked here and by
    the database at commit, as for `_book`."""
    if not new_funds:
        raise ValueError("_book_rows is for new funds only")
    pending_ref = merchant_ref(merchant, livemode, Account.Kind.PENDING, currency)
    live = _legs_live(kind, [*legs, (pending_ref, merchant_amount)])
    entry = _entry_build(
        public_id=public_id, kind=kind, merchant=merchant, livemode=livemode, source_type=source_type,
        source_id=source_id, idempotency_key=idempotency_key, description=description,
        effective_at=effective_at,
    )  # fmt: skip
    balance_transaction = None
    if line is not None:
        balance_transaction = _balance_transaction_build(
            merchant=merchant, livemode=livemode, entry=entry, currency=currency, line=line,
            source_type=source_type, pending_amount=merchant_amount,
        )  # fmt: skip
    return BookingRows(entry=entry, live=live, balance_transaction=balance_transaction)


def _balance_transaction_create(
    *,
    merchant,
    livemode: bool,
    entry: JournalEntry,
    currency: str,
    line: BalanceLine,
    source_type: str,
    pending_amount: int = 0,
) -> BalanceTransaction:
    row = _balance_transaction_build(
        merchant=merchant, livemode=livemode, entry=entry, currency=currency, line=line,
        source_type=source_type, pending_amount=pending_amount,
    )  # fmt: skip
    row.save(force_insert=True)
    return row


def _balance_transaction_build(
    *,
    merchant,
    livemode: bool,
    entry: JournalEntry,
    currency: str,
    line: BalanceLine,
    source_type: str,
    pending_amount: int = 0,
) -> BalanceTransaction:
    return BalanceTransaction(
        merchant=merchant,
        livemode=livemode,
        type=line.type,
        status=BalanceTransaction.Status.PENDING if pending_amount else BalanceTransaction.Status.AVAILABLE,
        amount=line.amount,
        fee=line.amount - line.net,
        net=line.net,
        currency=currency,
        fee_details=line.fee_details or [],
        exchange_rate=line.exchange_rate,
        source_type=source_type,
        source_id=entry.source_id if line.source_id is None else line.source_id,
        payout_id=line.payout_id,
        description=line.description[:500],
        available_on=line.available_on or timezone.now(),
        pending_amount=pending_amount,
        journal_entry=entry,
    )
