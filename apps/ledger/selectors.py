from django.db.models import QuerySet

from apps.core.errors import NotFoundError
from apps.core.payloads import unix

from .accounts import account_balances
from .models import Account, BalanceTransaction


def balance_get(*, merchant, livemode: bool) -> dict[str, dict[str, int]]:
    """{currency: {"pending": n, "available": n, "reserve": n}} from snapshots + posting tails:
    two queries whatever the number of postings."""
    accounts = Account.objects.filter(
        owner=Account.Owner.MERCHANT, merchant=merchant, livemode=livemode, kind__in=Account.MERCHANT_KINDS
    )
    result: dict[str, dict[str, int]] = {}
    for row, balance in account_balances(accounts):
        result.setdefault(row["currency"], {"pending": 0, "available": 0, "reserve": 0})[row["kind"]] = (
            balance
        )
    return result


def balance_to_dict(*, merchant, livemode: bool) -> dict:
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


def balance_transaction_list(*, merchant, livemode: bool, filters: dict | None = None) -> QuerySet:
    qs = BalanceTransaction.objects.filter(merchant=merchant, livemode=livemode)
    filters = filters or {}
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if filters.get("payout"):
        qs = qs.filter(payout_id=filters["payout"])
    if filters.get("currency"):
        qs = qs.filter(currency=filters["currency"].upper())
    if filters.get("source"):
        qs = qs.filter(source_id=filters["source"])
    return qs


def balance_transaction_get(*, merchant, livemode: bool, id: str) -> BalanceTransaction:
    txn = BalanceTransaction.objects.filter(merchant=merchant, livemode=livemode, public_id=id).first()
    if txn is None:
        raise NotFoundError("balance_transaction", id)
    return txn


def balance_transaction_to_dict(txn: BalanceTransaction) -> dict:
    return {
        "id": txn.public_id,
        "object": "balance_transaction",
        "amount": txn.amount,
        "currency": txn.currency.lower(),
        "fee": txn.fee,
        "fee_details": txn.fee_details,
        "net": txn.net,
        "type": txn.type,
        "status": txn.status,
        "source": txn.source_id or None,
        "payout": txn.payout_id or None,
        "exchange_rate": txn.exchange_rate or None,
        "description": txn.description or None,
        "available_on": unix(txn.available_on),
        "created": unix(txn.created_at),
        "livemode": txn.livemode,
    }
