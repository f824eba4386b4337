"""SWIFT MT940 customer statements, read with the maintained ``mt-940`` package (tags :61: and
:86:); the remittance reference is the :61: customer reference, else the :86: narrative."""

from __future__ import annotations

import mt940 as mt940_lib

from .base import BankRow, FieldError, ParsedFile, RowError, currency_code, minor_units


def parse_mt940(content: bytes) -> ParsedFile:
    parsed = ParsedFile()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if ":20:" not in text or ":61:" not in text:
        parsed.errors.append(RowError(0, ":61:", "not an MT940 statement (no :20: or :61: tag)"))
        return parsed
    try:
        transactions = mt940_lib.models.Transactions()
        transactions.parse(text)
    except Exception as exc:  # the library raises plain exceptions on malformed tags
        parsed.errors.append(RowError(0, "", f"unreadable MT940: {exc}"))
        return parsed
    for number, transaction in enumerate(transactions, start=1):
        data = transaction.data
        money = data.get("amount")
        if money is None or data.get("date") is None:
            parsed.errors.append(RowError(number, ":61:", "entry without amount or date"))
            continue
        try:
            currency = currency_code(money.currency or transactions.data.get("currency", ""))
            amount = minor_units(format(money.amount, "f"), currency)
        except FieldError as exc:
            parsed.errors.append(RowError(number, ":61:", str(exc)))
            continue
        # :61: holds at most 16 characters of customer reference; the full one is in :86: (EREF).
        customer = (data.get("customer_reference") or "").strip()
        details = (data.get("transaction_details") or "").replace("\n", " ").strip()
        reference = " ".join(part for part in (customer if customer != "NONREF" else "", details) if part)
        parsed.bank.append(
            BankRow(
                row_number=number,
                booked_on=data.get("entry_date") or data["date"],
                amount=amount,
                currency=currency,
                reference=reference[:140],
                counterparty=(data.get("applicant_name") or "")[:140],
                raw={k: str(v) for k, v in data.items() if k in (
                    "date", "entry_date", "amount", "status", "id", "customer_reference", "bank_reference",
                    "extra_details", "transaction_details")},
            )
        )  # fmt: skip
    return parsed
