"""The ledger's part of the intents' one-statement writes (issue 21; apps/core/sql.py).

A capture on the hot path is the journal entry, its postings (joined to their accounts by key,
as `services.booking._insert_postings`), the balance transaction and the capture record, added
to the caller's `WriteBatch`. The rows come from `services.ledger_capture_prepare`, the same
builders the ORM path saves. The zero sum stays the database's: the deferred constraint trigger
checks the entry at commit; the unique `idempotency_key` and `CaptureRecord.charge_id` refuse a
double posting.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.sql import Ref, WriteBatch

from .services import CaptureRows
from .services.booking import _insert_postings_orm

_POSTINGS = """INSERT INTO ledger_posting (entry_id, account_id, amount, currency)
    SELECT (SELECT id FROM {entry}), a.id, v.amount, v.currency
    FROM unnest(%s::text[], %s::bigint[], %s::text[]) WITH ORDINALITY AS v(key, amount, currency, ord)
    JOIN ledger_account a ON a.key = v.key
    ORDER BY v.ord
    RETURNING account_id"""

# The merchant's tracked debt in a currency (0 without a state row): a capture of new funds
# repays debt first, under the balance-state lock (`_book`); without debt it locks nothing.
MERCHANT_DEBT_SQL = """COALESCE((SELECT debt FROM ledger_merchantbalancestate
    WHERE merchant_id = %s AND livemode = %s AND currency = %s), 0)"""


@dataclass
class CaptureParts:
    rows: CaptureRows
    postings: str


def capture_add(batch: WriteBatch, rows: CaptureRows) -> CaptureParts:
    """Adds the capture's inserts to `batch`; after `batch.execute()`, call `capture_done`."""
    booking = rows.booking
    entry = batch.insert([booking.entry])
    postings = batch.raw(
        _POSTINGS.format(entry=entry),
        [
            [ref.key for ref, _ in booking.live],
            [amount for _, amount in booking.live],
            [ref.currency for ref, _ in booking.live],
        ],
    )
    if booking.balance_transaction is not None:
        batch.insert([booking.balance_transaction], refs={"journal_entry_id": Ref(entry)})
    batch.insert([rows.record])
    return CaptureParts(rows=rows, postings=postings)


def capture_done(parts: CaptureParts, results: dict[str, list]) -> None:
    """Legs whose account did not exist yet got no posting from the join: their accounts are
    created (race-free) and the postings inserted now, in the same transaction, before the
    zero-sum check at commit (as `_insert_postings` does)."""
    booking = parts.rows.booking
    entry = booking.entry
    if booking.balance_transaction is not None:
        booking.balance_transaction.journal_entry_id = entry.pk
    inserted = set(results.get(parts.postings, ()))
    if len(inserted) != len(booking.live):
        _insert_postings_orm(entry, booking.live, inserted)
