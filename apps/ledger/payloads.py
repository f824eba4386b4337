"""The public shapes of the ledger's objects, for the API, webhook events and services."""

from apps.core.payloads import unix

from .models import BalanceTransaction, CaptureRecord
from .selectors import balance_get


def balance_payload(*, merchant, livemode: bool) -> dict:
    balances = balance_get(merchant=merchant, livemode=livemode)
    if not balances:
        balances = {merchant.settlement_currency: {"pending": 0, "available": 0, "reserve": 0}}

    def part(kind: str) -> list[dict]:
        return [{"amount": b[kind], "currency": cur.lower()} for cur, b in sorted(balances.items())]

    return {
        "object": "balance",
        "livemode": livemode,
        "available": part("available"),
        "pending": part("pending"),
        "reserved": part("reserve"),
    }


def balance_transaction_payload(balance_transaction: BalanceTransaction) -> dict:
    return {
        "id": balance_transaction.public_id,
        "object": "balance_transaction",
        "amount": balance_transaction.amount,
        "currency": balance_transaction.currency.lower(),
        "fee": balance_transaction.fee,
        "fee_details": balance_transaction.fee_details,
        "net": balance_transaction.net,
        "type": balance_transaction.type,
        "status": balance_transaction.status,
        "source": balance_transaction.source_id or None,
        "payout": balance_transaction.payout_id or None,
        "exchange_rate": balance_transaction.exchange_rate or None,
        "description": balance_transaction.description or None,
        "available_on": unix(balance_transaction.available_on),
        "created": unix(balance_transaction.created_at),
        "livemode": balance_transaction.livemode,
    }


def capture_fx_payload(record: CaptureRecord) -> dict | None:
    """The `fx` block of a charge: how its capture was converted to the settlement currency."""
    if record.fx_status == CaptureRecord.FxStatus.NOT_NEEDED:
        return None
    data = {
        "status": record.fx_status,
        "source_currency": record.currency.lower(),
        "source_amount": record.amount,
        "settlement_currency": record.settlement_currency.lower(),
        "settlement_amount": record.settlement_amount,
        "converted_at": unix(record.created_at),
    }
    if record.fx_status == CaptureRecord.FxStatus.CONVERTED:
        data["rate"] = format(record.fx_rate.normalize(), "f")
        data["rate_as_of"] = unix(record.fx_rate_as_of)
    else:
        data["rate"] = None
        data["flagged_for_finance"] = True
    return data
