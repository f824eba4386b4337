"""Step 3 of a pass (see `matching`): each item's line, match kind and status decided in one temp
table (`recon_checks`, which step 5 reads) and written in one UPDATE of the rows that change, with
the fee rules and tolerances it applies. Split out of `matching` (past ~500 lines)."""

from __future__ import annotations

import datetime as dt

from ..models import AcquirerFeeRule, Tolerance
from .matching import ITEM, Scope, _analyze, _fallback, _join_common, _pg, settlement_sla_days

# What step 5 reads of a discrepancy; kept for those rows only (a narrow row for the million others).
# (`OFFSET 0` below: the status is computed once per row, not inlined into every column naming it.)
_DETAILS = ("ours_gross", "theirs_gross", "ours_currency", "theirs_currency", "ours_fee", "theirs_fee", "tolerance",
            "batch_id")  # fmt: skip


# Fee rules and tolerances are configuration (a few rows a connector and currency): up to this many
# each, their values are written into the check as CASE expressions instead of two hash joins over
# every item of the pass (most of a second at a million items).
INLINE_RULES = 64


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _rules_sql() -> tuple[str, str, str]:
    """The expressions of an item's (alias `l`) expected fee and tolerance, and the joins they need."""
    fee_rules = list(AcquirerFeeRule.objects.values_list("connector_code", "currency", "percent_bp",
                                                         "fixed_amount")[: INLINE_RULES + 1])  # fmt: skip
    tolerances = list(Tolerance.objects.values_list("currency", "amount")[: INLINE_RULES + 1])
    if len(fee_rules) > INLINE_RULES or len(tolerances) > INLINE_RULES:
        return (
            "CASE WHEN l.kind = 'capture' AND r.id IS NOT NULL"
            " THEN (l.ours_gross * r.percent_bp + 5000) / 10000 + r.fixed_amount END",
            "COALESCE(t.amount, 0)",
            f""" LEFT JOIN {AcquirerFeeRule._meta.db_table} r ON r.connector_code = l.connector_code
                 AND r.currency = l.ours_currency
            LEFT JOIN {Tolerance._meta.db_table} t ON t.currency = l.ours_currency""",
        )
    fee = "CAST(NULL AS bigint)"
    if fee_rules:
        cases = " ".join(
            f"WHEN l.connector_code = {_literal(code)} AND l.ours_currency = {_literal(currency)}"
            f" THEN (l.ours_gross * {int(percent_bp)} + 5000) / 10000 + {int(fixed)}"
            for code, currency, percent_bp, fixed in fee_rules
        )
        fee = f"CASE WHEN l.kind = 'capture' THEN CASE {cases} END END"
    tolerance = "CAST(0 AS bigint)"
    if tolerances:
        cases = " ".join(f"WHEN {_literal(currency)} THEN {int(amount)}" for currency, amount in tolerances)
        tolerance = f"CASE l.ours_currency {cases} ELSE 0 END"
    return fee, tolerance, ""


def check_items(cursor, scope: Scope) -> None:
    """Step 3: each item's line, match kind and status (matched, discrepancy, expected or missing),
    decided once in one temp table (step 5 reads the discrepancies from it) and written in one
    UPDATE of the rows that change (a re-run over an unchanged day writes nothing)."""
    cutoff = scope.as_of - dt.timedelta(days=settlement_sla_days())
    status = """CASE
        WHEN x.line_id IS NULL AND x.marked_received THEN 'matched'
        WHEN x.line_id IS NULL AND x.effective_on < %s THEN 'missing'
        WHEN x.line_id IS NULL THEN 'expected'
        WHEN x.match_kind = 'forced' THEN 'matched'
        WHEN x.ours_currency <> x.theirs_currency
             OR ABS(x.theirs_gross - x.ours_gross) > x.tolerance
             OR (x.ours_fee IS NOT NULL AND ABS(x.theirs_fee - x.ours_fee) > x.tolerance) THEN 'discrepancy'
        ELSE 'matched' END"""
    distinct = "IS DISTINCT FROM" if _pg() else "IS NOT"
    cursor.execute("DROP TABLE IF EXISTS recon_checks")
    # The lines of pinned items (kept wherever they settled): few, read by their ids (those of every
    # pinned item, `recon_pinned`: a few more than the pass's own, and no scan of the scope).
    cursor.execute("DROP TABLE IF EXISTS recon_pinned_lines")
    cursor.execute(
        """CREATE TEMP TABLE recon_pinned_lines AS SELECT l.* FROM recon_lines_all l
            WHERE l.id IN (SELECT line_id FROM recon_pinned)"""
    )
    _analyze(cursor, "recon_pinned_lines", "id")
    # PostgreSQL: the line of an unambiguous reference (see `match_items`), joined here.
    exact = (
        f" LEFT JOIN recon_lines e ON NOT i.pinned AND i.gateway_reference <> '' AND e.ref = i.gateway_reference"
        f" AND {_join_common('e')} AND hashtext(i.gateway_reference) NOT IN (SELECT h FROM recon_shared)"
        if _pg()
        else ""
    )

    fee, tolerance, rule_joins = _rules_sql()

    def pick(column: str, *others: str) -> str:
        """The exact line's value (PostgreSQL), else the first of `others` not null."""
        values = [f"e.{column}", *others] if _pg() else list(others)
        return f"COALESCE({', '.join(values)})" if len(values) > 1 else values[0]

    build = f"""
        CREATE TEMP TABLE recon_checks AS
        SELECT y.item_id, y.line_id, y.match_kind, y.status, (y.line_id {distinct} y.was_line_id
                     OR y.match_kind <> y.was_match_kind OR y.status <> y.was_status) AS changed,
               {", ".join(f"CASE WHEN y.status = 'discrepancy' THEN y.{c} END AS {c}" for c in _DETAILS)} FROM (
        SELECT x.*, {status} AS status FROM (
        SELECT l.item_id, l.line_id, l.match_kind, l.marked_received, l.effective_on,
               l.was_line_id, l.was_match_kind, l.was_status,
               l.ours_gross, l.ours_currency, l.gross AS theirs_gross, l.currency AS theirs_currency,
               l.fee AS theirs_fee, l.batch_id,
               {fee} AS ours_fee, {tolerance} AS tolerance
        FROM (
            SELECT i.id AS item_id, i.kind, i.connector_code, i.amount AS ours_gross, i.currency AS ours_currency,
                   i.marked_received, i.effective_on,
                   i.line_id AS was_line_id, i.match_kind AS was_match_kind, i.status AS was_status,
                   CASE WHEN i.pinned THEN i.line_id ELSE {pick("id", "c.line_id")} END AS line_id,
                   CASE WHEN i.pinned THEN i.match_kind WHEN {pick("id", "c.line_id")} IS NOT NULL THEN 'auto'
                        WHEN i.marked_received THEN 'manual' ELSE '' END AS match_kind,
                   {pick("gross", "c.gross", "pl.gross")} AS gross,
                   {pick("currency", "c.currency", "pl.currency")} AS currency,
                   {pick("fee", "c.fee", "pl.fee")} AS fee, {pick("batch_id", "c.batch_id", "pl.batch_id")} AS batch_id
            FROM recon_scope i LEFT JOIN recon_candidates c ON c.item_id = i.id
            LEFT JOIN recon_pinned_lines pl ON i.pinned AND pl.id = i.line_id{exact}
        ) l{rule_joins}
        ) x {"OFFSET 0" if _pg() else ""}
        ) y
        """
    cursor.execute(build, [cutoff])
    if _pg():  # the merchant-reference fallback of the items left without a line (then decided again)
        left = "i.id IN (SELECT item_id FROM recon_checks WHERE line_id IS NULL)"
        if _fallback(cursor, left, "recon_checks"):
            cursor.execute("DROP TABLE recon_checks")
            cursor.execute(build, [cutoff])
    _analyze(cursor, "recon_checks", "item_id")
    # `changed` (against the values read into the scope) keeps a re-run's UPDATE to the rows that
    # change: with its statistics the planner reads those few by key instead of joining every item.
    cursor.execute(
        f"""
        UPDATE {ITEM} SET line_id = c.line_id, match_kind = c.match_kind, status = c.status
        FROM recon_checks c
        WHERE c.changed AND {ITEM}.id = c.item_id AND ({ITEM}.line_id {distinct} c.line_id
              OR {ITEM}.match_kind <> c.match_kind OR {ITEM}.status <> c.status)
        """
    )
