"""The shortcuts of the pass's SQL against the plain statements they replace: the same result."""

import datetime as dt

import pytest
from django.db import connection, transaction

from apps.reconciliation.models import LedgerItem, SettlementLine
from apps.reconciliation.services import matching

from .factories import charge_paid, ingest_acquirer_file, run, sandbox_fee_rule, today

pytestmark = pytest.mark.django_db


def _scope() -> matching.Scope:
    return matching.Scope(today(), today() + dt.timedelta(days=1), False, "", today())


def test_copy_numbers_agree_with_a_window_over_every_line(api, merchant):
    sandbox_fee_rule()
    for amount in (2000, 2094, 1500):  # 2094: the sandbox settles the line twice
        charge_paid(api, merchant, amount)
    ingest_acquirer_file(merchant)
    line = SettlementLine.objects.get(record_type="capture", gross=2000)
    # A finance edit makes another line a copy of the first (the edited values are the ones compared).
    third = SettlementLine.objects.get(record_type="capture", gross=1500)
    SettlementLine.objects.filter(pk=third.pk).update(
        edited={"psp_reference": line.psp_reference, "gross": line.gross, "currency": line.currency}
    )
    with transaction.atomic(), connection.cursor() as cursor:
        matching.prepare_lines(cursor, _scope())
        cursor.execute("SELECT id, copy_no FROM recon_lines ORDER BY id")
        fast = cursor.fetchall()
        cursor.execute(
            """SELECT id, ROW_NUMBER() OVER (PARTITION BY connector_code, livemode, ref, record_type, gross, currency
                                             ORDER BY settled_on, id) FROM recon_lines ORDER BY id"""
        )
        reference = cursor.fetchall()
    assert fast == reference
    assert sum(1 for _, copy_no in fast if copy_no > 1) == 2  # the sandbox's copy and the edited one


def test_pinned_items_are_read_through_their_partial_index(api, merchant):
    """The pass reads the pinned items by the index, and the index leaves the pass's UPDATE HOT
    (no indexed column changes)."""
    sandbox_fee_rule()
    charge_paid(api, merchant, 2000)
    ingest_acquirer_file(merchant)
    run()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = 'recon_item_pinned'",
            [LedgerItem._meta.db_table],
        )
        [(definition,)] = cursor.fetchall()
    assert "WHERE pinned" in definition and "(id)" in definition
    assert run().matched == 1  # a re-run keeps the match


def test_a_rerun_over_an_unchanged_day_rewrites_no_item(api, merchant):
    sandbox_fee_rule()
    for amount in (2000, 2092, 2091):  # matched, amount under, missing line
        charge_paid(api, merchant, amount)
    ingest_acquirer_file(merchant)
    first = run(as_of=today() + dt.timedelta(days=5))

    def versions():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, xmin::text, status FROM {LedgerItem._meta.db_table} ORDER BY id")
            return cursor.fetchall()

    before = versions()
    again = run(as_of=today() + dt.timedelta(days=5))

    assert versions() == before  # the same row versions: nothing written
    assert {status for _, _, status in before} == {"matched", "discrepancy", "missing"}
    assert (again.matched, again.open_discrepancies) == (first.matched, first.open_discrepancies)
