"""The shortcuts of the pass's SQL against the plain statements they replace: the same result."""

import datetime as dt

import pytest
from django.db import connection, transaction

from apps.reconciliation.models import LedgerItem, SettlementLine
from apps.reconciliation.services import checking, matching

from .factories import charge_paid, ingest_acquirer_file, run, sandbox_fee_rule, today

pytestmark = pytest.mark.django_db


def _scope() -> matching.Scope:
    return matching.Scope(today(), today() + dt.timedelta(days=1), False, "", today())


def _through_checks(cursor, scope) -> None:
    """A pass's scope, lines, match and check, in runs._pass's order, up to `recon_checks`."""
    matching.build_item_scope(cursor, scope)
    matching.prepare_lines(cursor, scope)
    matching.prepare_all_lines(cursor)
    matching.match_items(cursor, scope)
    checking.check_items(cursor, scope)


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
        matching.build_item_scope(
            cursor, _scope()
        )  # (the pass's order: the items' references are counted too)
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


def test_shared_references_are_ranked_as_when_every_pair_is(api, merchant):
    """Only the pairs of a reference several items or lines share are ranked; the rest are paired in
    the check's own join. Two items sharing a reference, and a reference two lines share: each item
    still takes its first line (the first item wins it), and the losers fall back to the line
    carrying their own charge as merchant reference."""
    sandbox_fee_rule()
    for amount in (2000, 1500, 4000):
        charge_paid(api, merchant, amount)
    ingest_acquirer_file(merchant)
    run()
    items = {i.amount: i for i in LedgerItem.objects.filter(kind="capture")}
    lines = {line.gross: line for line in SettlementLine.objects.filter(record_type="capture")}
    shared = items[2000].gateway_reference
    LedgerItem.objects.filter(pk=items[1500].pk).update(gateway_reference=shared)
    SettlementLine.objects.filter(pk=lines[4000].pk).update(edited={"psp_reference": shared})
    with transaction.atomic(), connection.cursor() as cursor:
        scope = _scope()
        _through_checks(cursor, scope)
        cursor.execute("SELECT item_id, line_id, match_kind FROM recon_checks")
        outcome = {item: (line, kind) for item, line, kind in cursor.fetchall()}
        # the reference: every exact pair ranked on both sides
        cursor.execute(
            """SELECT item_id, line_id FROM (
                    SELECT i.id AS item_id, l.id AS line_id,
                           ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY l.settled_on, l.id) AS rn_item,
                           ROW_NUMBER() OVER (PARTITION BY l.id ORDER BY i.id) AS rn_line
                    FROM recon_scope i JOIN recon_lines l ON l.ref = i.gateway_reference
                         AND l.record_type = 'capture' AND i.kind = 'capture' AND l.copy_no = 1
                    WHERE NOT i.pinned AND i.gateway_reference <> '') p
                WHERE rn_item = 1 AND rn_line = 1"""
        )
        winners = dict(cursor.fetchall())
    assert winners[items[2000].pk] == lines[2000].pk and items[1500].pk not in winners
    assert {item: line for item, (line, _) in outcome.items() if item in winners} == winners
    assert outcome == {items[a].pk: (lines[a].pk, "auto") for a in (2000, 1500, 4000)}


def test_inlined_fee_rules_and_tolerances_decide_as_the_joins_do(api, merchant, monkeypatch):
    """Up to `INLINE_RULES` fee rules and tolerances are written into the check as CASE expressions;
    past that the check joins the two tables. Both decide every item the same."""
    from apps.reconciliation.models import Tolerance

    sandbox_fee_rule()
    sandbox_fee_rule("EUR")
    Tolerance.objects.create(currency="USD", amount=2)
    Tolerance.objects.create(currency="EUR", amount=0)
    for amount in (2000, 2092, 2093, 2098, 1500):  # matched, amount under, wrong fee, currency mismatch
        charge_paid(api, merchant, amount)
    ingest_acquirer_file(merchant)
    with transaction.atomic(), connection.cursor() as cursor:
        matching.collect_items(cursor, _scope())

    def checks():
        with transaction.atomic(), connection.cursor() as cursor:
            scope = _scope()
            _through_checks(cursor, scope)
            cursor.execute(
                f"SELECT item_id, line_id, match_kind, status, {', '.join(checking._DETAILS)} FROM recon_checks"
                " ORDER BY item_id"
            )
            rows = cursor.fetchall()
            transaction.set_rollback(True)
        return rows

    inline = checks()
    monkeypatch.setattr(checking, "INLINE_RULES", 0)
    joined = checks()
    assert inline == joined
    assert {row[3] for row in inline} == {"matched", "discrepancy"}
    discrepancies = [row for row in inline if row[3] == "discrepancy"]
    assert any(row[8] is not None for row in discrepancies)  # an expected fee was computed
    assert any(row[10] == 2 for row in discrepancies)  # the USD tolerance
