"""Checkout.com's settlement report: the "Financial Actions by Date Range" report of the Reports API.

Built from Checkout.com's docs "Retrieve reports" (the Reports API: ``GET /reports`` filtered by
``created_after`` / ``created_before`` / ``entity_id``, each report with its ``type``, ``from`` /
``to`` and ``files``; ``GET /reports/{id}/files/{file_id}`` answers the CSV), "Financial Actions by
Date Range Report" and "Breakdown types", and the checkout-sdk 4.8.1 ``ReportsClient``.

The daily report of type ``FinancialActions`` (``day_report_files`` picks the day's among weekly and
monthly ones) lists, for one day of the entity's settlement time zone, every financial action that moved the sub-account's available balance — one row per
*breakdown*: an action (``Action ID``, of ``Action Type`` Capture, Refund, Chargeback, …) has its
gross row (``Breakdown Type`` = the action type, or ``Chargeback (ADJM)``, …) and a row per fee
(``Interchange Variable Fee``, ``Scheme Fixed Fee``, ``Gateway Fixed Fee``, …). Amounts are decimal
major units with up to 8 decimals, signed as they move the balance (a capture's gross positive,
its fees, a refund and a chargeback negative).

One settlement line per action:

* the line's currency and amounts are the ``Holding Currency`` / ``Holding Currency Amount``
  columns — the sub-account's currency, the only column that adds up within one payment (gross
  may be in the processing currency, fixed fees in the holding one);
* ``amount`` = the gross row (exact in the currency's decimals, or the report is refused);
  ``fee`` = the cost of the fee rows, summed exactly and then rounded half-up once to the
  currency's decimals (fees are reported to 8 decimals; Checkout.com settles whole minor units);
* Capture / Partial Capture → ``capture`` named by the ``Payment ID`` (what /payments answered);
  Refund / Partial Refund → ``refund`` named by the refund's ``Action ID`` (what /refunds answered);
  Chargeback → ``dispute`` named by the ``Payment ID``; actions that carry only fees
  (Authorization, Card Verification, Void, Adjustment, Tiered Pricing Adjustment) → ``fee`` lines
  whose amount is the (negative) fee sum; balance movements that are not payments (Payout — the
  bank side —, Top Up, security deposits, operational funding, invoice settlement) are left out;
* ``reference``: our id from the ``Reference`` column (Clearhouse sends ``ch_…:authorize`` /
  ``ch_…:capture`` / ``re_…:refund``; the operation suffix is dropped);
* ``settled_on``: the report's day (a day of the settlement time zone, which ``Processed On``, in
  UTC, can fall outside of); the parser alone, without the day, takes ``Processed On``'s UTC date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from checkout_sdk.exception import CheckoutApiException
from checkout_sdk.reports.reports import ReportsQuery

from apps.connectors import money
from apps.connectors.base import SettlementLine
from apps.connectors.http import ProviderHTTPError

REPORT_TYPE = "FinancialActions"  # "Financial Actions by Date Range"
# The report of day D is generated on D+1 (between midnight and 03:00 in the settlement time zone);
# a few days' window catches a late one.
CREATED_WITHIN_DAYS = 4
ACTION_KINDS = {
    "Capture": "capture",
    "Partial Capture": "capture",
    "Refund": "refund",
    "Partial Refund": "refund",
    "Chargeback": "dispute",
    "Authorization": "fee",
    "Card Verification": "fee",
    "Void": "fee",
    "Adjustment": "fee",
    "Tiered Pricing Adjustment": "fee",
}
REQUIRED_COLUMNS = (
    "Action Type",
    "Action ID",
    "Payment ID",
    "Breakdown Type",
    "Holding Currency",
    "Holding Currency Amount",
    "Processed On",
)


class ReportFormatError(ValueError):
    """A Financial Actions report this parser cannot read exactly (missing column, bad amount)."""


def fetch_day(reports, date: dt.date, *, entity_id: str = "") -> list[SettlementLine]:
    """The lines of ``date``'s Financial Actions report(s), read through the SDK's ``ReportsClient``
    (``reports``; its HTTP goes through the account's ProviderHTTP). No report yet: no lines. An
    answer Checkout.com refused, or a report that cannot be read exactly, raises
    ``ProviderHTTPError`` (the settlement run answers 502 with its code)."""
    query = ReportsQuery()
    # Naive UTC timestamps: the SDK renders them as the API's examples do (2026-12-01T00:00:00).
    query.created_after = dt.datetime.combine(date, dt.time())
    query.created_before = query.created_after + dt.timedelta(days=CREATED_WITHIN_DAYS)
    query.limit = 100
    if entity_id:
        query.entity_id = entity_id
    try:
        files = []
        while True:
            page = _plain(reports.get_all_reports(query))
            files += day_report_files(page.get("data") or [], date)
            query.pagination_token = next_page_token(page)
            if not query.pagination_token:
                break
        lines = []
        for report_id, file_id in files:
            answer = reports.get_report_file(report_id, file_id)
            lines += parse_financial_actions(str(getattr(answer, "contents", "") or ""), day=date)
        return lines
    except CheckoutApiException as exc:
        status = exc.http_metadata.status_code if exc.http_metadata else None
        raise ProviderHTTPError(f"Checkout.com refused the report request (HTTP {status}).",
                                code="provider_error", outcome_unknown=False, http_status=status) from None  # fmt: skip
    except ReportFormatError as exc:
        raise ProviderHTTPError(f"Checkout.com report unreadable: {exc}", code="report_unreadable",
                                outcome_unknown=False) from None  # fmt: skip


def _plain(obj):
    """The SDK's ``ResponseWrapper`` as plain data (``from`` is no identifier: read via ``vars``)."""
    if isinstance(obj, list | tuple):
        return [_plain(item) for item in obj]
    if hasattr(obj, "__dict__") and not isinstance(obj, str | int | float | bool):
        return {key: _plain(value) for key, value in vars(obj).items() if key != "http_metadata"}
    return obj


def day_report_files(reports: Iterable[Mapping], date: dt.date) -> list[tuple[str, str]]:
    """(report id, file id) of the CSV files of the daily ``FinancialActions`` reports of ``date``.
    A report covers one day of the entity's settlement time zone (``from``/``to`` in UTC): daily is
    a span of about a day (23 to 25 hours over a DST change; weekly and monthly ones are left out),
    and the day is the UTC date of its middle — the local noon, on the local date for any offset
    from UTC-11 to UTC+12."""
    found = []
    for report in reports:
        if report.get("type") != REPORT_TYPE:
            continue
        start, end = _moment(report.get("from")), _moment(report.get("to"))
        if (
            start is None
            or end is None
            or not dt.timedelta(hours=23) <= end - start <= dt.timedelta(hours=25)
        ):
            continue
        if (start + (end - start) / 2).astimezone(dt.UTC).date() != date:
            continue
        for file in report.get("files") or []:
            if str(file.get("format") or "").upper() == "CSV":
                found.append((str(report["id"]), str(file["id"])))
    return found


def _moment(value) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def next_page_token(page: Mapping) -> str:
    href = str(((page.get("_links") or {}).get("next") or {}).get("href") or "")
    return (parse_qs(urlsplit(href).query).get("pagination_token") or [""])[0]


def _decimal(value: str, *, row: int, column: str) -> Decimal:
    try:
        return Decimal((value or "").strip() or "0")
    except InvalidOperation:
        raise ReportFormatError(f"row {row}: {column} is not an amount: {value!r}") from None


def _minor(value: Decimal, currency: str, *, row: int) -> int:
    try:
        return money.from_major(value, currency)
    except money.AmountPrecisionError as exc:
        raise ReportFormatError(f"row {row}: {exc}") from None


def _fee_minor(cost: Decimal, currency: str) -> int:
    exp = money.exponent(currency)
    return int(cost.quantize(Decimal(1).scaleb(-exp), rounding=ROUND_HALF_UP).scaleb(exp))


def _ours(reference: str) -> str:
    return reference.strip().split(":", 1)[0]


def _processed_on(value: str, *, row: int) -> dt.date:
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReportFormatError(f"row {row}: Processed On is not a timestamp: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def _is_gross(action_type: str, breakdown: str) -> bool:
    return breakdown == action_type or (action_type == "Chargeback" and breakdown.startswith("Chargeback"))


def parse_financial_actions(text: str, *, day: dt.date | None = None) -> list[SettlementLine]:
    """The settlement lines of one Financial Actions report (see the module docstring)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ReportFormatError(f"Not a Financial Actions report: no column {', '.join(missing)}.")
    actions: dict[str, dict] = {}
    for number, row in enumerate(reader, start=2):
        action_type = (row["Action Type"] or "").strip()
        kind = ACTION_KINDS.get(action_type)
        if kind is None:
            continue
        currency = (row["Holding Currency"] or "").strip().upper()
        amount = _decimal(row["Holding Currency Amount"], row=number, column="Holding Currency Amount")
        action_id = (row["Action ID"] or "").strip()
        entry = actions.setdefault(action_id, {
            "kind": kind, "payment": (row["Payment ID"] or "").strip(), "currency": currency,
            "gross": None, "fees": Decimal(0), "reference": _ours(row.get("Reference") or ""),
            "settled_on": _processed_on(row["Processed On"], row=number), "row": number,
        })  # fmt: skip
        if currency != entry["currency"]:
            raise ReportFormatError(f"row {number}: action {action_id} in two holding currencies.")
        if _is_gross(action_type, (row["Breakdown Type"] or "").strip()):
            entry["gross"] = _minor(amount, currency, row=number) + (entry["gross"] or 0)
        else:
            entry["fees"] += amount
    lines = []
    for action_id, entry in actions.items():
        currency, kind = entry["currency"], entry["kind"]
        if kind == "fee" or entry["gross"] is None:
            # An action with fees only (an authorization's gateway fee, a fee adjustment).
            amount, fee, kind = -_fee_minor(-entry["fees"], currency), 0, "fee"
        else:
            amount, fee = entry["gross"], _fee_minor(-entry["fees"], currency)
        lines.append(SettlementLine(
            gateway_reference=action_id if kind == "refund" else (entry["payment"] or action_id),
            type=kind, amount=amount, currency=currency, fee=fee,
            settled_on=day or entry["settled_on"], reference=entry["reference"],
        ))  # fmt: skip
    return lines
