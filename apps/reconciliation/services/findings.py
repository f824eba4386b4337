"""Step 5 of a reconciliation pass (read): what is wrong in the interval, with the fields that
differ — the discrepancies `runs` upserts. The matching steps that leave the temp tables these
queries read are in `matching`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from apps.intents.models import Charge

from ..models import Tolerance
from .matching import BANK, BATCH, CHARGE_NOT_SETTLED, ITEM, Scope, bank_sla_days


@dataclass
class Found:
    key: str
    type: str
    currency: str
    day: dt.date
    merchant_id: int | None = None
    connector_code: str = ""
    item_id: int | None = None
    line_id: int | None = None
    batch_id: int | None = None
    bank_line_id: int | None = None
    diffs: list | None = None
    difference: int = 0


def _diff(field: str, ours, theirs) -> dict:
    row = {"field": field, "ours": ours, "theirs": theirs}
    if isinstance(ours, int) and isinstance(theirs, int):
        row["difference"] = theirs - ours
    return row


def found_discrepancies(cursor, scope: Scope) -> list[Found]:
    """Step 5 (read): what is wrong in the interval, with the fields that differ."""
    found: list[Found] = []
    cursor.execute(
        f"""
        SELECT i.id, i.merchant_id, i.connector_code, i.effective_on, c.line_id, c.ours_gross, c.theirs_gross,
               c.ours_currency, c.theirs_currency, c.ours_fee, c.theirs_fee, c.tolerance, c.batch_id
        FROM recon_checks c JOIN {ITEM} i ON i.id = c.item_id
        WHERE c.status = 'discrepancy'
        """
    )
    for (item_id, merchant_id, code, day, line_id, ours, theirs, ours_cur, theirs_cur, ours_fee, theirs_fee,
         tolerance, batch_id) in cursor.fetchall():  # fmt: skip
        diffs = []
        if ours_cur != theirs_cur:
            diffs.append(_diff("currency", ours_cur, theirs_cur))
        if abs(theirs - ours) > tolerance or (diffs and theirs != ours):
            diffs.append(_diff("gross", ours, theirs))
        if ours_fee is not None and abs(theirs_fee - ours_fee) > tolerance:
            diffs.append(_diff("fee", int(ours_fee), theirs_fee))
        if ours_cur != theirs_cur:
            kind = "currency_mismatch"
        elif abs(theirs - ours) > tolerance:
            kind = "amount_over" if theirs > ours else "amount_under"
        else:
            kind = "fee_mismatch"
        difference = theirs - ours if kind != "fee_mismatch" else -(theirs_fee - int(ours_fee))
        found.append(Found(f"item:{item_id}", kind, ours_cur, day, merchant_id, code, item_id, line_id, batch_id,
                           diffs=diffs, difference=difference))  # fmt: skip
    cursor.execute(
        f"SELECT i.id, i.merchant_id, i.connector_code, i.effective_on, i.amount, i.currency, i.kind, i.source_id "
        f"FROM recon_checks c JOIN {ITEM} i ON i.id = c.item_id WHERE c.status = 'missing'"
    )
    for item_id, merchant_id, code, day, amount, currency, kind, source_id in cursor.fetchall():
        found.append(Found(f"missing:{item_id}", "missing", currency, day, merchant_id, code, item_id,
                           diffs=[_diff("settlement_line", f"{kind} {source_id} {amount}", None)],
                           difference=-amount))  # fmt: skip
    _found_lines(cursor, scope, found)
    _found_bank(cursor, scope, found)
    return found


def _found_lines(cursor, scope: Scope, found: list[Found]) -> None:
    extra, cparams = scope.connector_sql("l")
    own, own_params = scope.merchant_sql("l", own_only=True)
    extra, cparams = extra + own, cparams + own_params
    in_interval = f"l.livemode = %s AND l.settled_on >= %s AND l.settled_on < %s{extra}"
    params = [scope.livemode, scope.start, scope.end, *cparams]
    # The lines no item holds. On PostgreSQL the pass's own items are read from `recon_checks` (its
    # UPDATE wrote exactly those lines onto them), and only the few lines left are looked for on the
    # other items (a filter on one scan, no hash of every item's line); SQLite: every item.
    pg = connection.vendor == "postgresql"
    taken = "recon_checks" if pg else ITEM
    cursor.execute(
        f"""
        SELECT l.id, l.batch_id, l.connector_code, l.settled_on, l.currency, l.gross, l.ref, l.record_type, l.copy_no,
               COALESCE(ch.status, cm.status), COALESCE(l.merchant_id, ch.merchant_id, cm.merchant_id), l.merchant_id
        FROM recon_lines l
        LEFT JOIN {Charge._meta.db_table} ch ON l.record_type = 'capture' AND ch.gateway_reference = l.ref
             AND l.ref <> '' AND (l.merchant_id IS NULL OR ch.merchant_id = l.merchant_id)
        -- an attempt whose answer was lost has no gateway reference yet: the acquirer echoes our charge id
        LEFT JOIN {Charge._meta.db_table} cm ON l.record_type = 'capture' AND cm.public_id = l.merchant_reference
             AND l.merchant_reference <> '' AND (l.merchant_id IS NULL OR cm.merchant_id = l.merchant_id)
        WHERE {in_interval} AND NOT EXISTS (SELECT 1 FROM {taken} t WHERE t.line_id = l.id)
        """,
        params,
    )
    rows = cursor.fetchall()
    if pg and rows:  # the lines an item outside the pass holds (its line was settled in this window)
        cursor.execute(f"SELECT line_id FROM {ITEM} WHERE line_id = ANY(%s)", [[row[0] for row in rows]])
        held = {line_id for (line_id,) in cursor.fetchall()}
        rows = [row for row in rows if row[0] not in held]
    for (
        line_id,
        batch_id,
        code,
        day,
        currency,
        gross,
        ref,
        _record_type,
        copy_no,
        charge_status,
        merchant_id,
        line_merchant,
    ) in rows:
        if copy_no > 1:
            found.append(Found(f"duplicate:{line_id}", "duplicate_line", currency, day, merchant_id, code,
                               line_id=line_id, batch_id=batch_id, difference=gross,
                               diffs=[_diff("copies", 1, int(copy_no)), _diff("gross", 0, gross)]))  # fmt: skip
        elif charge_status in CHARGE_NOT_SETTLED:
            found.append(Found(f"status:{line_id}", "status_mismatch", currency, day, merchant_id, code,
                               line_id=line_id, batch_id=batch_id, difference=gross,
                               diffs=[_diff("status", charge_status, "settled")]))  # fmt: skip
        else:
            found.append(Found(f"unknown:{line_id}", "unknown_reference", currency, day, line_merchant, code,
                               line_id=line_id, batch_id=batch_id, difference=gross,
                               diffs=[_diff("psp_reference", None, ref), _diff("gross", 0, gross)]))  # fmt: skip


def _found_bank(cursor, scope: Scope, found: list[Found]) -> None:
    extra, cparams = scope.connector_sql("b")
    own, own_params = scope.merchant_sql("b", own_only=True)
    extra, cparams = extra + own, cparams + own_params
    params = [scope.livemode, scope.start, scope.end, *cparams]
    in_interval = f"b.livemode = %s AND b.settled_on >= %s AND b.settled_on < %s{extra}"
    # One credit may pay several batches: compare it with the sum of their nets.
    cursor.execute(
        f"""
        SELECT bl.id, bl.amount, bl.currency, MIN(b.settled_on), MIN(b.id), MIN(b.connector_code), SUM(b.net),
               COALESCE(MAX(t.amount), 0), MAX(b.merchant_id)
        FROM {BATCH} b JOIN {BANK} bl ON bl.id = b.bank_line_id
        LEFT JOIN {Tolerance._meta.db_table} t ON t.currency = b.currency
        WHERE bl.id IN (SELECT b.bank_line_id FROM {BATCH} b WHERE {in_interval})
        GROUP BY bl.id, bl.amount, bl.currency
        """,
        params,
    )
    for bank_id, credit, currency, day, batch_id, code, net, tolerance, merchant_id in cursor.fetchall():
        if abs(credit - net) > tolerance:
            found.append(Found(f"payout:{bank_id}", "payout_mismatch", currency, day, merchant_id, code,
                               batch_id=batch_id, bank_line_id=bank_id, difference=credit - net,
                               diffs=[_diff("bank_credit", int(net), credit)]))  # fmt: skip
    cutoff = scope.as_of - dt.timedelta(days=bank_sla_days())
    cursor.execute(
        f"SELECT b.id, b.currency, b.settled_on, b.connector_code, b.net, b.merchant_id FROM {BATCH} b "
        f"WHERE b.bank_line_id IS NULL AND b.net <> 0 AND b.settled_on < %s AND {in_interval}",
        [cutoff, *params],
    )
    for batch_id, currency, day, code, net, merchant_id in cursor.fetchall():
        found.append(Found(f"bank:{batch_id}", "bank_credit_missing", currency, day, merchant_id, code, batch_id=batch_id,
                           difference=-net, diffs=[_diff("bank_credit", net, None)]))  # fmt: skip
