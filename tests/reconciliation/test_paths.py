"""The COPY fast path of ingest and the row-by-row reader (the reference) lead to the same
reconciliation: the same day — every fault the sandbox acquirer injects, a refund, plain
captures — ingested through each path and reconciled gives the same items, batches and
discrepancies, field diffs included."""

import pytest
from django.db import connection

from apps.reconciliation.models import Discrepancy, LedgerItem, SettlementBatch
from apps.reconciliation.services import ingest

from .factories import (
    charge_paid,
    ingest_acquirer_file,
    ingest_bank_statement,
    refund,
    run,
    sandbox_fee_rule,
    today,
)

pytestmark = pytest.mark.django_db

# 2091…2098 make the sandbox inject its faults (missing line, amount off, wrong fee, unknown
# reference, duplicated line, late line, currency mismatch); the rest settle as they are.
AMOUNTS = (2000, 2091, 2092, 2093, 2094, 2095, 2096, 2097, 2098, 1500, 4000)


def _outcome() -> dict:
    def row(line):
        return line.row_number if line else None

    items = sorted(
        (i.source_id, i.kind, i.amount, i.status, i.match_kind, row(i.line))
        for i in LedgerItem.objects.select_related("line")
    )
    batches = sorted(
        SettlementBatch.objects.values_list("settled_on", "currency", "gross", "fees", "net", "reported_payout",
                                            "line_count", "payout_reference", "bank_line__amount")
    )  # fmt: skip
    discrepancies = sorted(
        (d.type, d.status, repr(d.diffs), d.difference, d.item.source_id if d.item else None, row(d.line),
         (d.batch.settled_on, d.batch.currency) if d.batch else None)
        for d in Discrepancy.objects.select_related("item", "line", "batch")
    )  # fmt: skip
    return {"items": items, "batches": batches, "discrepancies": discrepancies}


def _reconcile(merchant) -> dict:
    assert ingest_acquirer_file(merchant).status == "processed"
    assert ingest_bank_statement([today()]).status == "processed"
    assert run().status == "completed"
    return _outcome()


def _forget_files_and_outcomes() -> None:
    """The same bytes again, as if never ingested: files, lines and outcomes go (append-only
    tables are truncated, not deleted); the ledger stays."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (TRUNCATE refuses pending deferred checks)
        cursor.execute(
            "TRUNCATE reconciliation_discrepancy, reconciliation_ledgeritem, reconciliation_settlementline,"
            " reconciliation_settlementbatch, reconciliation_bankline, reconciliation_settlementfile"
        )


def test_the_fast_path_and_the_reference_reader_reconcile_a_faulted_day_the_same(api, merchant, monkeypatch):
    sandbox_fee_rule()
    charges = [charge_paid(api, merchant, amount) for amount in AMOUNTS]
    refund(api, charges[0], 500)
    taken = []
    fast_copy = ingest.stream_acquirer_copy

    def spy(*args, **kwargs):
        result = fast_copy(*args, **kwargs)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(ingest, "stream_acquirer_copy", spy)
    fast = _reconcile(merchant)
    assert taken == [True]  # the sandbox file went through COPY

    _forget_files_and_outcomes()
    monkeypatch.setattr(ingest, "stream_acquirer_copy", lambda *args, **kwargs: None)
    reference = _reconcile(merchant)

    assert fast == reference
    # …and the day is not trivially empty: every kind of outcome is there to compare.
    assert {d[0] for d in fast["discrepancies"]} >= {"missing", "amount_under", "fee_mismatch",
                                                      "unknown_reference", "duplicate_line", "currency_mismatch"}  # fmt: skip
    assert sum(1 for i in fast["items"] if i[3] == "matched") >= 4
