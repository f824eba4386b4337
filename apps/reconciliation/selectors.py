"""Reads shared by the admin (and the API to come): the words of a discrepancy, a batch's payout
bridge, the day a finance member closes."""

from __future__ import annotations

from django.db.models import Sum

from apps.core.currencies import format_amount

from .models import Discrepancy, SettlementBatch


def money(amount: int | None, currency: str) -> str:
    return "—" if amount is None else format_amount(amount, currency)


_LABELS = {"gross": "amount", "bank_credit": "bank credit"}


def _value(value, currency: str, field: str) -> str:
    if value is None:
        return "none"
    if isinstance(value, int) and field in ("gross", "fee", "bank_credit"):
        return money(value, currency)
    return str(value)


def describe_diffs(discrepancy: Discrepancy) -> str:
    """ "amount 20.92 USD vs 20.89 USD (-0.03 USD); fee 0.41 USD vs 0.66 USD (+0.25 USD)" — ours first."""
    parts = []
    for diff in discrepancy.diffs or []:
        field = diff["field"]
        ours_currency = theirs_currency = discrepancy.currency
        text = (f"{_LABELS.get(field, field)} {_value(diff.get('ours'), ours_currency, field)} vs "
                f"{_value(diff.get('theirs'), theirs_currency, field)}")  # fmt: skip
        if "difference" in diff and field in ("gross", "fee", "bank_credit"):
            sign = "+" if diff["difference"] > 0 else "\u2212"
            text += f" ({sign}{money(abs(diff['difference']), discrepancy.currency)})"
        elif "difference" in diff:
            text += f" ({diff['difference']:+d})"
        parts.append(text)
    return "; ".join(parts) or discrepancy.get_type_display()


def batches_lines(batches, lines=None):
    """The lines of `batches` (of `lines`, default all), read with their files: the lines' unique
    (file, row_number) index serves it (lines have no index on their batch, which cost the load)."""
    from .models import SettlementLine

    rows = SettlementLine.objects.all() if lines is None else lines
    return rows.filter(file_id__in={batch.file_id for batch in batches}, batch__in=batches)


def batch_lines(batch: SettlementBatch, lines=None):
    """One batch's lines (``batches_lines``)."""
    return batches_lines([batch], lines)


def batch_bridge(batch: SettlementBatch) -> list[tuple[str, int | str]]:
    """captures - refunds - chargebacks - fees ± adjustments = net; the bank credit; the residual
    and the open discrepancies that explain it."""
    lines = batch_lines(batch)
    sums = dict(lines.values_list("record_type").annotate(total=Sum("gross")).order_by())
    fees = lines.aggregate(total=Sum("fee"))["total"] or 0
    rows: list[tuple[str, int | str]] = [
        ("captures", sums.get("capture", 0)),
        ("refunds", sums.get("refund", 0)),
        ("chargebacks", sums.get("chargeback", 0)),
        ("fees", -fees),
        ("adjustments", sums.get("adjustment", 0)),
        ("= net", batch.net),
    ]
    if batch.reported_payout is not None and batch.reported_payout != batch.net:
        rows.append(("payout line in the file", batch.reported_payout))
    credit = batch.bank_line.amount if batch.bank_line_id else None
    rows.append(("bank credit", credit if credit is not None else "not received"))
    if credit is not None:
        rows.append(("residual", credit - batch.net))
    open_ids = list(
        Discrepancy.objects.filter(batch=batch, status=Discrepancy.Status.OPEN).values_list(
            "public_id", flat=True
        )
    )
    rows.append(("open discrepancies", ", ".join(open_ids) or "none"))
    return rows


def open_discrepancies(*, livemode: bool = False, day=None):
    rows = Discrepancy.objects.filter(status=Discrepancy.Status.OPEN, livemode=livemode)
    return rows.filter(day=day) if day is not None else rows


# --- merchant API (tenant-scoped) ---------------------------------------------------------------


def _merchant_lines(merchant, livemode: bool):
    """The lines that are the merchant's: of its own files, or matched to its ledger items."""
    from django.db.models import Q

    from .models import LedgerItem, SettlementLine

    matched = LedgerItem.objects.filter(merchant=merchant, livemode=livemode, line__isnull=False).values(
        "line_id"
    )
    return SettlementLine.objects.filter(Q(merchant=merchant) | Q(pk__in=matched), livemode=livemode)


def settlement_list(*, merchant, livemode: bool):
    return SettlementBatch.objects.filter(
        pk__in=_merchant_lines(merchant, livemode).values("batch_id"), livemode=livemode
    ).select_related("file")


def settlement_with_own_lines(
    rows: list[SettlementBatch], *, merchant, livemode: bool
) -> list[SettlementBatch]:
    by_batch: dict[int, list] = {batch.pk: [] for batch in rows}
    for line in batches_lines(rows, _merchant_lines(merchant, livemode)).order_by("batch_id", "row_number"):
        by_batch[line.batch_id].append(line)
    for batch in rows:
        batch.own_lines = by_batch[batch.pk]
    return rows


def settlement_get(*, merchant, livemode: bool, id: str) -> tuple[SettlementBatch, list]:
    from apps.core.errors import NotFoundError

    batch = settlement_list(merchant=merchant, livemode=livemode).filter(public_id=id).first()
    if batch is None:
        raise NotFoundError("settlement", id)
    return batch, list(batch_lines(batch, _merchant_lines(merchant, livemode)).order_by("row_number"))


def reconciliation_get(*, merchant, livemode: bool, id: str):
    from apps.core.selectors import tenant_get

    from .models import ReconciliationRun

    return tenant_get(ReconciliationRun.objects.all(), merchant=merchant, livemode=livemode, id=id,
                      resource="reconciliation")  # fmt: skip


def run_discrepancies(*, run, merchant):
    from django.db.models import Q

    return Discrepancy.objects.filter(Q(run=run) | Q(last_seen_run=run), merchant=merchant).select_related(
        "item", "line"
    )


def discrepancy_get(*, run, merchant, id: str) -> Discrepancy:
    from apps.core.errors import NotFoundError

    found = run_discrepancies(run=run, merchant=merchant).filter(public_id=id).first()
    if found is None:
        raise NotFoundError("reconciliation_discrepancy", id)
    return found


def settlement_residuals(*, merchant, livemode: bool, day, currency: str) -> list[dict]:
    """The merchant's open discrepancies of `day` (the settlement or ledger date, UTC) in `currency`:
    what the daily settlement report's payout bridge links its residual to. Read by reporting (an
    app above this one) through its residuals registry, wired in `apps.reporting.apps`."""
    rows = Discrepancy.objects.filter(
        merchant=merchant,
        livemode=livemode,
        day=day,
        currency=currency.upper(),
        status=Discrepancy.Status.OPEN,
    ).order_by("created_at", "id")
    return [
        {"discrepancy": d.public_id, "type": d.type, "amount": d.difference, "status": d.status,
         "description": describe_diffs(d)}
        for d in rows
    ]  # fmt: skip
