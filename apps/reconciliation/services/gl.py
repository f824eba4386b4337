"""GL export and period close.

An entry's booking date is its effective date when the period holding that date was still open
when the entry was made; otherwise (a correction to a closed period) the date it was made, so it
lands in the period open then. A closed period's export is therefore stable: the same bytes on
every re-run. Lines are the ledger postings mapped to GL codes, balanced per currency (the
ledger's own zero-sum rule, summed per entry), in a fixed order with fixed formatting."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.currencies import CURRENCIES
from apps.core.errors import InvalidRequestError, StateConflictError
from apps.ledger.models import Account, JournalEntry, Posting

from ..models import AccountingPeriod, GLAccountMapping

FORMATS = ("journal", "xero")


class PeriodUnexpectedState(StateConflictError):
    code = "accounting_period_unexpected_state"
    message = "The period {period} is {period_status}."


def _exponent(currency: str) -> int:
    found = CURRENCIES.get(currency)
    return found.exponent if found else 2


def _major(amount: int, currency: str) -> str:
    exponent = _exponent(currency)
    return format(Decimal(amount).scaleb(-exponent), "f") if exponent else str(amount)


def accounting_period_close(*, period_id: int, actor: Actor) -> AccountingPeriod:
    with transaction.atomic():
        period = AccountingPeriod.objects.select_for_update().get(pk=period_id)
        if period.status != AccountingPeriod.Status.OPEN:
            raise PeriodUnexpectedState(period=str(period.start), period_status=period.status)
        period.status, period.closed_at, period.closed_by = (
            AccountingPeriod.Status.CLOSED,
            timezone.now(),
            actor.label,
        )
        period.save()
        audit_record(actor=actor, action="reconciliation.period_closed", obj=period, object_id=str(period.start),
                     after={"start": str(period.start), "end": str(period.end)})  # fmt: skip
    return period


def accounting_period_reopen(*, period_id: int, actor: Actor, reason: str) -> AccountingPeriod:
    """Admin only (permission checked by the caller). While open again, the corrections made
    during its closure are booked back into it (on their effective date); closing it again
    fixes its export anew. Audited with the reason."""
    if not (reason or "").strip():
        raise InvalidRequestError("Say why the period is reopened.", param="reason")
    with transaction.atomic():
        period = AccountingPeriod.objects.select_for_update().get(pk=period_id)
        if period.status != AccountingPeriod.Status.CLOSED:
            raise PeriodUnexpectedState(period=str(period.start), period_status=period.status)
        before = {
            "status": period.status,
            "closed_at": period.closed_at.isoformat() if period.closed_at else None,
        }
        period.status = AccountingPeriod.Status.OPEN
        period.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="reconciliation.period_reopened", obj=period, object_id=str(period.start),
                     before=before, after={"status": "open"}, reason=reason)  # fmt: skip
    return period


def _closed_periods() -> list[AccountingPeriod]:
    return list(AccountingPeriod.objects.filter(closed_at__isnull=False).order_by("start"))


def booking_date(effective: dt.datetime, created: dt.datetime, periods: list[AccountingPeriod]) -> dt.date:
    day = effective.astimezone(dt.UTC).date()
    for period in periods:
        closed = period.status == AccountingPeriod.Status.CLOSED and period.closed_at is not None
        if closed and period.start <= day < period.end and created > period.closed_at:
            return created.astimezone(dt.UTC).date()
    return day


def _mapping() -> dict[tuple[str, str], GLAccountMapping]:
    return {(m.account_kind, m.currency): m for m in GLAccountMapping.objects.all()}


def journal_lines(period: AccountingPeriod) -> list[dict]:
    """The period's postings grouped per entry and GL code (a fixed order)."""
    periods = _closed_periods()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(period.end, dt.time.min, tzinfo=dt.UTC)
    earliest = min([p.start for p in periods] + [period.start])
    candidates = JournalEntry.objects.filter(
        effective_at__gte=dt.datetime.combine(earliest, dt.time.min, tzinfo=dt.UTC), effective_at__lt=end
    ) | JournalEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    entries = {}
    for entry in candidates.only(
        "id", "public_id", "kind", "description", "effective_at", "created_at"
    ).iterator(chunk_size=2000):
        booked = booking_date(entry.effective_at, entry.created_at, periods)
        if period.start <= booked < period.end:
            entries[entry.pk] = (booked, entry)
    mapping = _mapping()
    totals: dict[tuple, int] = defaultdict(int)
    postings = Posting.objects.filter(entry_id__in=list(entries)).values_list(
        "entry_id", "account__kind", "account__owner", "currency", "amount"
    )
    for entry_id, kind, _owner, currency, amount in postings.iterator(chunk_size=5000):
        found = mapping.get((kind, currency)) or mapping.get((kind, ""))
        code = found.gl_code if found else f"UNMAPPED-{kind}"
        name = (found.gl_name if found else "") or Account.Kind(kind).label
        totals[(entry_id, code, name, currency)] += amount
    lines = []
    for (entry_id, code, name, currency), amount in totals.items():
        if amount == 0:
            continue
        booked, entry = entries[entry_id]
        lines.append({"date": booked, "entry": entry.public_id, "kind": entry.kind,
                      "description": entry.description, "gl_code": code, "gl_name": name, "currency": currency,
                      "amount": amount})  # fmt: skip
    lines.sort(key=lambda r: (r["date"], r["entry"], r["currency"], r["gl_code"]))
    return lines


def gl_export_csv(*, period: AccountingPeriod, fmt: str = "journal") -> bytes:
    """A closed period's journal (`journal`: date, entry, GL code, debit, credit in major units)
    or Xero's manual-journal import layout (`xero`: Narration, Date, Description, AccountCode,
    TaxRate, Amount; debit positive). Deterministic bytes."""
    if fmt not in FORMATS:
        raise InvalidRequestError(f"Unknown export format {fmt!r}.", param="format")
    if period.status != AccountingPeriod.Status.CLOSED:
        raise PeriodUnexpectedState(period=str(period.start), period_status=period.status)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    lines = journal_lines(period)
    if fmt == "journal":
        writer.writerow(
            ["date", "entry", "kind", "description", "gl_code", "gl_name", "currency", "debit", "credit"]
        )
        for r in lines:
            # Ledger sign: a positive posting credits the account.
            debit = _major(-r["amount"], r["currency"]) if r["amount"] < 0 else ""
            credit = _major(r["amount"], r["currency"]) if r["amount"] > 0 else ""
            writer.writerow([r["date"].isoformat(), r["entry"], r["kind"], r["description"], r["gl_code"],
                             r["gl_name"], r["currency"], debit, credit])  # fmt: skip
    else:
        writer.writerow(
            ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount", "Currency"]
        )
        for r in lines:
            writer.writerow([f"Clearhouse {r['entry']} ({r['kind']})", r["date"].strftime("%d/%m/%Y"),
                             r["description"], r["gl_code"], "Tax Exempt", _major(-r["amount"], r["currency"]),
                             r["currency"]])  # fmt: skip
    return out.getvalue().encode()
