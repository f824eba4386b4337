"""The matching engine: set-based SQL over the ledger, the settlement lines and the bank lines.

One pass over an interval (start inclusive, end exclusive, in the items' UTC dates):

1. collect: every posting on a connector clearing account (capture, refund, dispute debit or
   reversal) becomes a `LedgerItem` once (its expected line: the clearing amount, negated);
2. match: each unpinned item takes the first eligible line of the right type with its gateway
   reference (the merchant reference as fallback), a line going to one item at most; duplicated
   lines (same reference, type, amount and currency) never match;
3. check: currency, gross (beyond the currency's tolerance) and, where the acquirer's fee rule
   is known, the fee; an item without a line is expected until its SLA, then missing;
4. bank: each batch is paid by the bank credit carrying its payout reference (one credit may
   pay several batches); credit ≠ net is a payout mismatch, no credit after the bank SLA a
   missing bank credit;
5. the discrepancies found are upserted by key (a re-run never duplicates one) and the open ones
   no longer found are resolved as `cleared` — a late line clears a missing item on its own.

Only the discrepancies (few) are read into Python, to write their field diffs. Step 3 lives in
`checking`, step 5 in `findings`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from apps.disputes.models import Dispute
from apps.intents.models import Charge
from apps.ledger.models import Account, JournalEntry, Posting
from apps.refunds.models import Refund

from ..models import BankLine, LedgerItem, SettlementBatch, SettlementLine

ITEM = LedgerItem._meta.db_table
LINE = SettlementLine._meta.db_table
BATCH = SettlementBatch._meta.db_table
BANK = BankLine._meta.db_table
LINE_TYPE_OF_KIND = {"capture": "capture", "refund": "refund", "dispute_debit": "chargeback",
                     "dispute_reversal": "adjustment"}  # fmt: skip
# A charge in one of these states settled by the acquirer is a status mismatch, not an unknown line.
CHARGE_NOT_SETTLED = (
    "failed",
    "canceled",
    "unknown",
    "submitting",
    "pending",
    "requires_action",
    "authorized",
)


def settlement_sla_days() -> int:
    return getattr(settings, "RECONCILIATION_SETTLEMENT_SLA_DAYS", 2)


def bank_sla_days() -> int:
    return getattr(settings, "RECONCILIATION_BANK_SLA_DAYS", 3)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _json_text(column: str, key: str) -> str:
    return f"({column} ->> '{key}')" if _pg() else f"json_extract({column}, '$.{key}')"


def _eff(alias: str, field: str, cast: str = "") -> str:
    """The value matching uses: a finance edit, else the line's own."""
    edited = _json_text(f"{alias}.edited", field)
    if cast:
        edited = f"CAST({edited} AS {cast})"
    return f"COALESCE({edited}, {alias}.{field})"


def _kind_to_line_type(alias: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LINE_TYPE_OF_KIND.items())
    return f"CASE {alias}.kind {cases} END"


@dataclass(frozen=True)
class Scope:
    start: dt.date
    end: dt.date
    livemode: bool
    connector_code: str
    as_of: dt.date
    merchant_id: int | None = None

    def merchant_sql(self, alias: str, *, own_only: bool = False) -> tuple[str, list]:
        """A merchant's pass: its items; the platform's lines and its own (own_only: its own)."""
        if self.merchant_id is None:
            return "", []
        if own_only:
            return f" AND {alias}.merchant_id = %s", [self.merchant_id]
        return f" AND ({alias}.merchant_id IS NULL OR {alias}.merchant_id = %s)", [self.merchant_id]

    def connector_sql(self, alias: str) -> tuple[str, list]:
        if not self.connector_code:
            return "", []
        return f" AND {alias}.connector_code = %s", [self.connector_code]


def _execute(cursor, sql: str, params: list | tuple = ()) -> int:
    cursor.execute(sql, params)
    return cursor.rowcount


def collect_items(cursor, scope: Scope) -> int:
    """Step 1: the ledger's clearing movements of the interval as items (once per entry)."""
    start = dt.datetime.combine(scope.start, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(scope.end, dt.time.min, tzinfo=dt.UTC)
    connector, params = (
        ("AND a.connector_code = %s", [scope.connector_code]) if scope.connector_code else ("", [])
    )
    day = "CAST((je.effective_at AT TIME ZONE 'UTC') AS date)" if _pg() else "date(je.effective_at)"
    false = "false" if _pg() else "0"
    kinds = ", ".join(f"'{k}'" for k in LINE_TYPE_OF_KIND)
    return _execute(
        cursor,
        f"""
        INSERT INTO {ITEM} (entry_id, merchant_id, livemode, connector_code, kind, source_type, source_id,
                            gateway_reference, amount, currency, effective_on, status, match_kind, pinned,
                            marked_received)
        SELECT je.id, je.merchant_id, je.livemode, a.connector_code, je.kind, je.source_type, je.source_id,
               COALESCE(ch.gateway_reference, rf.gateway_reference, dp.connector_dispute_id, ''),
               -p.amount, p.currency, {day}, 'expected', '', {false}, {false}
        FROM {Posting._meta.db_table} p
        JOIN {Account._meta.db_table} a ON a.id = p.account_id AND a.kind = 'connector_clearing'
        JOIN {JournalEntry._meta.db_table} je ON je.id = p.entry_id
        LEFT JOIN {Charge._meta.db_table} ch ON je.source_type = 'charge' AND ch.public_id = je.source_id
        LEFT JOIN {Refund._meta.db_table} rf ON je.source_type = 'refund' AND rf.public_id = je.source_id
        LEFT JOIN {Dispute._meta.db_table} dp ON je.source_type = 'dispute' AND dp.public_id = je.source_id
        WHERE je.livemode = %s AND je.effective_at >= %s AND je.effective_at < %s AND je.kind IN ({kinds})
              {connector}
        ON CONFLICT (entry_id) DO NOTHING
        """,
        [scope.livemode, start, end, *params],
    )


LOOKBACK_DAYS = 30
# The item columns the later steps read: the wide, half-empty items table is scanned once, here.
SCOPE_COLUMNS = ("i.id, i.merchant_id, i.livemode, i.connector_code, i.kind, i.source_id, i.gateway_reference,"
                 " i.amount, i.currency, i.effective_on, i.line_id, i.match_kind, i.status, i.pinned, i.marked_received")  # fmt: skip


def build_item_scope(cursor, scope: Scope) -> int:
    """The items a pass decides: the interval's, plus earlier ones still waiting for their line
    (so a late line in a later file clears them), with the columns the later steps read (temp
    table `recon_scope`)."""
    tune_session(cursor)
    extra, params = scope.connector_sql("i")
    own, own_params = scope.merchant_sql("i", own_only=True)
    extra, params = extra + own, params + own_params
    cursor.execute("DROP TABLE IF EXISTS recon_scope")
    cursor.execute(
        f"""
        CREATE TEMP TABLE recon_scope AS
        SELECT {SCOPE_COLUMNS} FROM {ITEM} i
        WHERE i.livemode = %s{extra} AND (
            (i.effective_on >= %s AND i.effective_on < %s)
            OR (i.effective_on >= %s AND i.effective_on < %s AND i.line_id IS NULL AND NOT i.pinned
                AND i.status IN ('expected', 'missing')))
        """,
        [
            scope.livemode,
            *params,
            scope.start,
            scope.end,
            scope.start - dt.timedelta(days=LOOKBACK_DAYS),
            scope.start,
        ],
    )
    items = cursor.rowcount  # (CREATE TABLE AS reports its rows: no second scan to count them)
    _analyze(cursor, "recon_scope", "id")
    if items < 0:
        return _count(cursor, "recon_scope")
    return items


# The pass's joins are hash joins over whole temp tables (no index would be used at scale): they
# get the memory to stay in one batch, and the temp tables a cheap sample for their statistics.
# `bench/reconciliation.py` runs its bare hash join with the same `work_mem`.
PASS_WORK_MEM = "256MB"


def tune_session(cursor) -> None:
    """Within the pass's transaction only (SET LOCAL)."""
    if _pg():
        cursor.execute(f"SET LOCAL work_mem = '{PASS_WORK_MEM}'")
        cursor.execute("SET LOCAL default_statistics_target = 10")
        # The planner's cost of a whole-table pass crosses JIT's threshold: compiling the expressions
        # took a second per statement at 100 k items, longer than running them.
        cursor.execute("SET LOCAL jit = off")


def _analyze(cursor, table: str, column: str = "") -> None:
    """Temp tables have no statistics until analyzed: without them the planner picks nested loops.
    (SQLite, the embedded demo: an index instead, once.)"""
    if _pg():
        cursor.execute(f"ANALYZE {table}")
    elif column:
        cursor.execute(f"CREATE INDEX {table}_{column}_idx ON {table} ({column})")


def _line_window(scope: Scope, alias: str = "l") -> tuple[str, list]:
    """Lines that may settle the interval's items: from its start to the SLA after its end."""
    extra, params = scope.connector_sql(alias)
    own, own_params = scope.merchant_sql(alias)
    extra, params = extra + own, params + own_params
    until = scope.end + dt.timedelta(days=max(settlement_sla_days(), 1) + 30)
    return (
        f"{alias}.livemode = %s AND {alias}.settled_on >= %s AND {alias}.settled_on < %s{extra}",
        [scope.livemode, scope.start - dt.timedelta(days=1), until, *params],
    )


_DUPLICATE_KEY = ("connector_code", "livemode", "ref", "record_type", "gross", "currency")


def prepare_lines(cursor, scope: Scope) -> None:
    """The window's lines with the values matching uses and their copy number (temp table
    `recon_lines`): lines with the same reference, type, amount and currency are copies, the first
    by settlement date then id copy 1, and only copy 1 may match."""
    window, params = _line_window(scope)
    cursor.execute("DROP TABLE IF EXISTS recon_lines")
    values = f"""l.id, l.batch_id, l.merchant_id, l.connector_code, l.livemode, l.record_type, l.merchant_reference,
               l.settled_on, {_eff("l", "psp_reference")} AS ref, {_eff("l", "currency")} AS currency,
               {_eff("l", "gross", "bigint")} AS gross, {_eff("l", "fee", "bigint")} AS fee"""
    if not _pg():
        cursor.execute(
            f"""CREATE TEMP TABLE recon_lines AS SELECT {values}, ROW_NUMBER() OVER (
                   PARTITION BY l.connector_code, l.livemode, {_eff("l", "psp_reference")}, l.record_type,
                                {_eff("l", "gross", "bigint")}, {_eff("l", "currency")}
                   ORDER BY l.settled_on, l.id) AS copy_no
                FROM {LINE} l WHERE {window}""",
            params,
        )
        cursor.execute("CREATE INDEX recon_lines_ref ON recon_lines (ref)")
        cursor.execute("CREATE INDEX recon_lines_mref ON recon_lines (merchant_reference)")
        cursor.execute("CREATE INDEX recon_lines_id ON recon_lines (id)")
        return
    # Copies are rare: a hash aggregate finds the references several lines share (one column: cheaper
    # to hash than the whole key), and only their lines are numbered (a window over every line
    # sorted the whole window, most of the step's cost).
    cursor.execute(f"CREATE TEMP TABLE recon_lines AS SELECT {values}, 1 AS copy_no FROM {LINE} l WHERE {window}",
                   params)  # fmt: skip
    key = ", ".join(f"l.{c}" for c in _DUPLICATE_KEY)
    # (kept: `match_items` ranks only the pairs of a shared reference)
    # The references' 4-byte hashes are aggregated, not the text (a third of the hash table; a
    # collision only numbers or ranks a few more lines, exactly).
    # One aggregate over the lines' and the unpinned items' references finds both sides' shared
    # ones (`lines`: several lines; otherwise several items).
    cursor.execute("DROP TABLE IF EXISTS recon_shared")
    cursor.execute(
        """CREATE TEMP TABLE recon_shared AS
           SELECT h, COUNT(*) FILTER (WHERE line) > 1 AS lines FROM (
               SELECT hashtext(ref) AS h, true AS line FROM recon_lines
               UNION ALL SELECT hashtext(gateway_reference), false FROM recon_scope
                         WHERE NOT pinned AND gateway_reference <> '') r
           GROUP BY h HAVING COUNT(*) FILTER (WHERE line) > 1 OR COUNT(*) FILTER (WHERE NOT line) > 1"""
    )
    cursor.execute(
        f"""
        WITH numbered AS (
                 SELECT l.id, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY l.settled_on, l.id) AS copy_no
                 FROM recon_lines l WHERE hashtext(l.ref) IN (SELECT h FROM recon_shared WHERE lines))
        UPDATE recon_lines SET copy_no = n.copy_no FROM numbered n WHERE recon_lines.id = n.id AND n.copy_no > 1
        """
    )
    cursor.execute("ANALYZE recon_lines")


_PAIR_COLUMNS = "i.id AS item_id, l.id AS line_id, l.settled_on, l.batch_id, l.gross, l.fee, l.currency"


def _rank(cursor, pairs: str) -> None:
    """Keeps, of the (item, line) pairs of the temp table `pairs`, the ones that stand: each item
    takes its first line (by settlement date, then id), a pair standing only if the item is also
    the line's first (lowest) item. Pairs unique on both sides — nearly all of them — are found by
    two hash aggregates and stay where they are; only the rest are ranked, and the losers deleted
    (sorting every pair, or copying the winners to a new table, cost more than the join). The same
    result as ranking every pair: an item or line with one pair ranks it first."""
    cursor.execute(
        f"""
        WITH item_n AS (SELECT item_id FROM {pairs} GROUP BY item_id HAVING COUNT(*) > 1),
             line_n AS (SELECT line_id FROM {pairs} GROUP BY line_id HAVING COUNT(*) > 1),
             ranked AS (
                 SELECT p.item_id, p.line_id,
                        ROW_NUMBER() OVER (PARTITION BY p.item_id ORDER BY p.settled_on, p.line_id) AS rn_item,
                        ROW_NUMBER() OVER (PARTITION BY p.line_id ORDER BY p.item_id) AS rn_line
                 FROM {pairs} p
                 WHERE p.item_id IN (SELECT item_id FROM item_n) OR p.line_id IN (SELECT line_id FROM line_n))
        DELETE FROM {pairs}
        WHERE (item_id, line_id) IN (SELECT item_id, line_id FROM ranked WHERE NOT (rn_item = 1 AND rn_line = 1))
        """
    )


def _join_common(l: str = "l") -> str:  # noqa: E741
    """The conditions a line (alias `l`) meets to settle item `i`, besides the reference."""
    return (
        f"{l}.record_type = {_kind_to_line_type('i')} AND {l}.connector_code = i.connector_code"
        f" AND {l}.livemode = i.livemode AND {l}.copy_no = 1 AND {l}.id NOT IN (SELECT line_id FROM recon_pinned)"
        f" AND ({l}.merchant_id IS NULL OR {l}.merchant_id = i.merchant_id)"
    )


def match_items(cursor, scope: Scope) -> int:
    """Step 2: the pairs (item, line) that need ranking, ranked (the temp table `recon_candidates`,
    with the line's values; read in step 3).

    On PostgreSQL only the pairs of an ambiguous reference — one several lines of the window or
    several unpinned items share — are paired and ranked here (few); every other item has at most
    one line with its reference and that line at most one item, so step 3 pairs them in its own
    join (no table of a million pairs, no ranking). The merchant-reference fallback is step 3's
    too. The embedded demo (SQLite) pairs and ranks every item here, fallback included."""
    for table in ("recon_candidates", "recon_pairs", "recon_left", "recon_pinned"):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    # Lines held by a manual or forced link (anywhere) are never taken automatically.
    cursor.execute(
        f"CREATE TEMP TABLE recon_pinned AS SELECT line_id FROM {ITEM} WHERE pinned AND line_id IS NOT NULL"
    )  # (by the partial index recon_item_pinned: no scan of the items)
    only = ""
    if _pg():
        only = " AND hashtext(i.gateway_reference) IN (SELECT h FROM recon_shared) AND hashtext(l.ref) IN (SELECT h FROM recon_shared)"
    # Exact reference pairs first; the merchant-reference fallback only for items left without one.
    cursor.execute(
        f"""CREATE TEMP TABLE recon_candidates AS
            SELECT {_PAIR_COLUMNS}
            FROM recon_scope i JOIN recon_lines l ON l.ref = i.gateway_reference AND {_join_common()}
            WHERE NOT i.pinned AND i.gateway_reference <> ''{only}"""
    )
    _analyze(cursor, "recon_candidates", "item_id")
    _rank(cursor, "recon_candidates")
    if _pg():
        return _count(cursor, "recon_candidates")
    cursor.execute("SELECT (SELECT COUNT(*) FROM recon_scope) - (SELECT COUNT(*) FROM recon_candidates)")
    if cursor.fetchone()[0]:  # every item of the pass has its line (one each): no fallback to look for
        _fallback(
            cursor, "NOT EXISTS (SELECT 1 FROM recon_candidates c WHERE c.item_id = i.id)", "recon_candidates"
        )
    return _count(cursor, "recon_candidates")


def _fallback(cursor, left: str, taken: str) -> int:
    """The merchant-reference pairs of the items `left` (a condition on `i`), of the lines no pair of
    `taken` holds, ranked and added to `recon_candidates`."""
    cursor.execute("DROP TABLE IF EXISTS recon_left")
    cursor.execute("DROP TABLE IF EXISTS recon_pairs")
    cursor.execute(
        f"""CREATE TEMP TABLE recon_left AS
            SELECT i.id, i.source_id, i.kind, i.connector_code, i.livemode, i.merchant_id FROM recon_scope i
            WHERE NOT i.pinned AND i.source_id <> '' AND {left}"""
    )
    cursor.execute("SELECT COUNT(*) FROM recon_left")
    if not cursor.fetchone()[0]:  # (none left: no join over every line for nothing)
        return 0
    cursor.execute(
        f"""CREATE TEMP TABLE recon_pairs AS
            SELECT {_PAIR_COLUMNS}
            FROM recon_left i JOIN recon_lines l ON l.merchant_reference = i.source_id AND {_join_common()}
            WHERE NOT EXISTS (SELECT 1 FROM {taken} c WHERE c.line_id = l.id)"""
    )
    _analyze(cursor, "recon_pairs", "item_id")
    _rank(cursor, "recon_pairs")
    added = _execute(cursor, "INSERT INTO recon_candidates SELECT * FROM recon_pairs")
    _analyze(cursor, "recon_candidates")
    return added


def _count(cursor, table: str) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    return cursor.fetchone()[0]


def prepare_all_lines(cursor) -> None:
    """Every line with its effective values (pinned items keep lines settled outside the window)."""
    cursor.execute("DROP VIEW IF EXISTS recon_lines_all")
    cursor.execute(
        f"""CREATE TEMP VIEW recon_lines_all AS SELECT l.id, l.batch_id, {_eff("l", "currency")} AS currency,
            {_eff("l", "gross", "bigint")} AS gross, {_eff("l", "fee", "bigint")} AS fee FROM {LINE} l"""
    )


def match_bank(cursor, scope: Scope) -> None:
    """Step 4: each batch of the interval to the bank credit that carries its payout reference
    (a merchant's batch to its own statements, the platform's to the platform's)."""
    extra, params = scope.connector_sql("b")
    own, own_params = scope.merchant_sql("b", own_only=True)
    extra, params = extra + own, params + own_params
    cursor.execute(
        f"""
        UPDATE {BATCH} SET bank_line_id = (
            SELECT bl.id FROM {BANK} bl
            WHERE bl.livemode = {BATCH}.livemode AND bl.currency = {BATCH}.currency AND bl.amount > 0
                  AND COALESCE(bl.merchant_id, 0) = COALESCE({BATCH}.merchant_id, 0)
                  AND bl.reference LIKE '%%' || {BATCH}.payout_reference || '%%'
            ORDER BY bl.id LIMIT 1)
        WHERE payout_reference <> '' AND id IN (
            SELECT b.id FROM {BATCH} b WHERE b.livemode = %s AND b.settled_on >= %s AND b.settled_on < %s{extra})
        """,
        [scope.livemode, scope.start, scope.end, *params],
    )
