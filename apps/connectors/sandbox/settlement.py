"""The sandbox acquirer's daily settlement file, and the sandbox bank's statement of its payouts.

The file is what a payment facilitator's acquirer sends for its whole account: one CSV per
settlement date (UTC day of the operation) built from the operations the sandbox really
processed — captured payments, refunds, chargebacks — each with the acquirer's fee
(``FEE_BASIS_POINTS`` + ``FEE_FIXED`` on captures), and one ``payout`` line per currency with the
net the acquirer pays to the platform's bank account that day.

Columns (``sandbox_csv``; amounts in major units of the line's currency, negative for debits):
``settlement_date, record_type, psp_reference, merchant_reference, currency, gross, fee, net,
payout_reference``. ``record_type`` is ``capture | refund | chargeback | payout``.

Injected faults, selected like the test cards by the operation's amount — the last two digits of
the amount in minor units (so 20.91 USD, 1091 JPY …):

====  ===================================================================================
 89   settled although declined: the acquirer settles an authorization it answered with a
      decline (Clearhouse recorded a failed charge: a status mismatch)
 90   bank credit missing: the day's payout for the currency never reaches the bank statement
 91   missing line: the operation is never settled
 92   amount off by a few cents: the line's gross is 3 minor units short
 93   wrong fee: the acquirer's fee is 25 minor units above its schedule
 94   duplicated line: the same line appears twice
 95   late line: settled on the next day's file instead
 96   currency mismatch: reported in another currency (USD↔EUR) with the same figures
 97   unknown reference: an extra line the acquirer settled for a reference nobody sent
 98   payout short: the bank credit of the day is 1.00 less than the file's payout line
====  ===================================================================================
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from .store import SandboxRecord, SandboxStore

FEE_BASIS_POINTS = 150
FEE_FIXED = 10
FAULTS = {
    89: "settled_declined",
    90: "bank_credit_missing",
    91: "missing",
    92: "amount_off",
    93: "wrong_fee",
    94: "duplicate",
    95: "late",
    96: "currency",
    97: "unknown_reference",
    98: "payout_short",
}
COLUMNS = (
    "settlement_date",
    "record_type",
    "psp_reference",
    "merchant_reference",
    "currency",
    "gross",
    "fee",
    "net",
    "payout_reference",
)
_EXPONENTS = {"JPY": 0, "KRW": 0, "KWD": 3, "JOD": 3, "BHD": 3, "IQD": 3, "OMR": 3, "TND": 3}


@dataclass(frozen=True)
class FileLine:
    settled_on: dt.date
    record_type: str
    psp_reference: str
    merchant_reference: str
    currency: str
    gross: int
    fee: int

    @property
    def net(self) -> int:
        return self.gross - self.fee


def acquirer_fee(amount: int) -> int:
    return (amount * FEE_BASIS_POINTS + 5_000) // 10_000 + FEE_FIXED


def fault_of(amount: int) -> str:
    return FAULTS.get(abs(amount) % 100, "")


def _major(amount: int, currency: str) -> str:
    exponent = _EXPONENTS.get(currency.upper(), 2)
    return format(Decimal(amount).scaleb(-exponent), "f") if exponent else str(amount)


def _line_of(record: SandboxRecord, store: SandboxStore, settled_on: dt.date) -> list[FileLine]:
    """The file lines one operation settles as (none for what the acquirer does not settle)."""
    if record.operation == "authorize":
        settles_declined = record.status == "declined" and fault_of(record.amount) == "settled_declined"
        if not settles_declined and (
            record.status != "approved" or not record.result.get("raw", {}).get("captured")
        ):
            return []
        kind, reference, sign = "capture", record.reference, 1
    elif record.operation == "capture":
        if record.status != "approved":
            return []
        kind, reference, sign = "capture", record.parent_reference, 1  # the payment's reference
    elif record.operation == "refund":
        if record.status not in ("approved", "succeeded"):
            return []
        kind, reference, sign = "refund", record.reference, -1
    elif record.operation == "dispute":
        kind, reference, sign = "chargeback", record.reference, -1
    else:
        return []
    fault = fault_of(record.amount)
    if fault == "missing":
        return []
    currency = record.currency.upper()
    gross = sign * record.amount
    fee = acquirer_fee(record.amount) if kind == "capture" else 0
    if fault == "amount_off":
        gross -= 3
    elif fault == "wrong_fee" and kind == "capture":
        fee += 25
    elif fault == "currency":
        currency = "EUR" if currency != "EUR" else "USD"
    line = FileLine(
        settled_on=settled_on,
        record_type=kind,
        psp_reference=reference,
        merchant_reference=record.idempotency_key.split(":", 1)[0],
        currency=currency,
        gross=gross,
        fee=fee,
    )
    lines = [line]
    if fault == "duplicate":
        lines.append(line)
    elif fault == "unknown_reference":
        lines.append(
            FileLine(
                settled_on,
                "capture",
                f"{reference}x",
                "",
                currency,
                record.amount,
                acquirer_fee(record.amount),
            )
        )
    return lines


def _day(date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(date, dt.time.min, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def settlement_lines(store: SandboxStore, date: dt.date) -> list[FileLine]:
    """The operation lines of ``date``'s file: that day's operations, less the late ones, plus
    the previous day's late ones."""
    lines: list[FileLine] = []
    for day, late in ((date - dt.timedelta(days=1), True), (date, False)):
        for record in store.between(*_day(day)):
            if (fault_of(record.amount) == "late") is late:
                lines += _line_of(record, store, date)
    return lines


def payout_reference(date: dt.date, currency: str) -> str:
    return f"SBXPO-{date:%Y%m%d}-{currency.upper()}"


def payouts(lines: list[FileLine]) -> dict[str, int]:
    """Net per currency: what the acquirer pays out for the file."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, 0) + line.net
    return dict(sorted(totals.items()))


def settlement_file(store: SandboxStore, date: dt.date) -> bytes:
    return render_file(settlement_lines(store, date), date)


def render_file(lines: list[FileLine], date: dt.date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(
            [
                f"{date:%Y-%m-%d}",
                line.record_type,
                line.psp_reference,
                line.merchant_reference,
                line.currency,
                _major(line.gross, line.currency),
                _major(line.fee, line.currency),
                _major(line.net, line.currency),
                payout_reference(date, line.currency),
            ]
        )
    for currency, net in payouts(lines).items():
        writer.writerow(
            [f"{date:%Y-%m-%d}", "payout", "", "", currency, _major(net, currency), "0", _major(net, currency),
             payout_reference(date, currency)]
        )  # fmt: skip
    return out.getvalue().encode()


def bank_statement_camt053(
    store: SandboxStore, dates: list[dt.date], *, account_iban: str = "GB33BUKB20201555555555"
) -> bytes:
    """The platform bank's ISO 20022 camt.053.001.02 statement crediting each day's payouts
    (booked the day after the settlement date), with the payout reference as remittance info."""
    entries = []
    for date in dates:
        lines = settlement_lines(store, date)
        short = {line.currency for line in lines if fault_of(line.gross) == "payout_short"}
        withheld = {line.currency for line in lines if fault_of(line.gross) == "bank_credit_missing"}
        for currency, net in payouts(lines).items():
            amount = net - (100 if currency in short else 0)
            if amount == 0 or currency in withheld:
                continue
            booked = date + dt.timedelta(days=1)
            entries.append(
                f"""      <Ntry>
        <Amt Ccy="{currency}">{_major(abs(amount), currency)}</Amt>
        <CdtDbtInd>{"CRDT" if amount > 0 else "DBIT"}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{booked:%Y-%m-%d}</Dt></BookgDt>
        <ValDt><Dt>{booked:%Y-%m-%d}</Dt></ValDt>
        <AcctSvcrRef>{payout_reference(date, currency)}-BNK</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{payout_reference(date, currency)}</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>Sandbox Acquirer Ltd</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>{payout_reference(date, currency)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""
            )
    stamp = f"{(dates[-1] if dates else dt.date.today()):%Y%m%d}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>SBXBANK-{stamp}</MsgId><CreDtTm>{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}T23:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-{stamp}</Id>
      <Acct><Id><IBAN>{account_iban}</IBAN></Id></Acct>
{chr(10).join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()
