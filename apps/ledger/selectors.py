"""The ledger's reads: derived balances, fee schedules, exchange rates, balance history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from apps.core import hotcache
from apps.core.errors import NotFoundError

from .accounts import account_balances, balances_by_key, merchant_ref
from .fx import FoundRate, max_rate_age
from .models import (
    Account,
    BalanceSnapshot,
    BalanceTransaction,
    ExchangeRate,
    FeeSchedule,
    MerchantBalanceState,
    Posting,
)


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


def merchant_balances(merchant, livemode: bool, currency: str) -> dict[str, int]:
    """{"pending": n, "available": n, "reserve": n} of one merchant, mode and currency."""
    refs = {kind: merchant_ref(merchant, livemode, kind, currency) for kind in Account.MERCHANT_KINDS}
    by_key = balances_by_key([ref.key for ref in refs.values()])
    return {str(kind): by_key[ref.key] for kind, ref in refs.items()}


def ledger_available_balance(*, merchant, livemode: bool, currency: str) -> int:
    return merchant_balances(merchant, livemode, currency.upper())[Account.Kind.AVAILABLE]


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
    balance_transaction = BalanceTransaction.objects.filter(
        merchant=merchant, livemode=livemode, public_id=id
    ).first()
    if balance_transaction is None:
        raise NotFoundError("balance_transaction", id)
    return balance_transaction


def fee_schedule_find(*, merchant, currency: str, payment_method_type: str) -> FeeSchedule | None:
    """The most specific active schedule: the merchant's over the platform default, a payment
    method type's over any type. From the versioned cache (every confirm reads it): any change
    to any schedule renews the one version (``FEE_SCHEDULES``), as a platform default row
    concerns every merchant."""
    merchant_id = getattr(merchant, "pk", merchant)
    schedule, _ = hotcache.read_through(
        FEE_SCHEDULES,
        f"{FEE_SCHEDULES}:{merchant_id}:{currency}:{payment_method_type}",
        lambda: _fee_schedule_load(merchant_id, currency, payment_method_type),
    )
    return schedule


FEE_SCHEDULES = "fee_schedules"


def _fee_schedule_load(merchant, currency: str, payment_method_type: str) -> FeeSchedule | None:
    rows = list(
        FeeSchedule.objects.filter(
            Q(merchant=merchant) | Q(merchant__isnull=True),
            currency=currency,
            payment_method_type__in=[payment_method_type, ""],
            active=True,
        )
    )

    def specificity(row: FeeSchedule) -> tuple[int, int]:
        return (1 if row.merchant_id else 0, 1 if row.payment_method_type else 0)

    return max(rows, key=specificity) if rows else None


def fee_compute(
    *, merchant, currency: str, payment_method_type: str, amount: int
) -> tuple[int, FeeSchedule | None]:
    """basis points (rounded half up) + fixed amount, never more than the amount itself."""
    schedule = fee_schedule_find(
        merchant=merchant, currency=currency, payment_method_type=payment_method_type
    )
    if schedule is None:
        return 0, None
    fee = (amount * schedule.percent_bp + 5_000) // 10_000 + schedule.fixed_amount
    return min(max(fee, 0), amount), schedule


def exchange_rate_find(*, base: str, quote: str, at: datetime | None = None) -> FoundRate | None:
    """The latest rate base→quote not older than the configured age (direct pair first, then
    the inverse of quote→base), or None."""
    at = at or timezone.now()
    oldest = at - max_rate_age()
    direct = (
        ExchangeRate.objects.filter(base=base, quote=quote, as_of__gte=oldest, as_of__lte=at)
        .order_by("-as_of")
        .first()
    )
    if direct is not None:
        return FoundRate(rate=direct.rate, as_of=direct.as_of, rate_id=direct.pk)
    inverse = (
        ExchangeRate.objects.filter(base=quote, quote=base, as_of__gte=oldest, as_of__lte=at)
        .order_by("-as_of")
        .first()
    )
    if inverse is not None:
        rate = (Decimal(1) / inverse.rate).quantize(Decimal("0.000000000001"))
        return FoundRate(rate=rate, as_of=inverse.as_of, rate_id=inverse.pk)
    return None


def ledger_check_invariants() -> list[str]:
    """Problems found (empty when the books are sound): unbalanced entries, non-zero sum per
    currency over all accounts, snapshots that disagree with their postings, debt records that
    disagree with negative available balances."""
    problems: list[str] = []
    unbalanced = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by()
    )
    problems += [f"entry {r['entry_id']} sums to {r['total']} {r['currency']}" for r in unbalanced[:20]]
    per_currency = (
        Posting.objects.values("currency").annotate(total=Sum("amount")).exclude(total=0).order_by()
    )
    problems += [f"all accounts sum to {r['total']} {r['currency']}" for r in per_currency]
    problems += _snapshot_problems()
    problems += _debt_problems()
    return problems


def _snapshot_problems() -> list[str]:
    problems = []
    for snap in BalanceSnapshot.objects.all():
        actual = (
            Posting.objects.filter(account_id=snap.account_id, id__lte=snap.upto_posting_id).aggregate(
                t=Sum("amount")
            )["t"]
            or 0
        )
        if actual != snap.balance:
            problems.append(f"snapshot of account {snap.account_id} is {snap.balance}, postings say {actual}")
    return problems


def _debt_problems() -> list[str]:
    problems = []
    for state in MerchantBalanceState.objects.select_related("merchant"):
        available = merchant_balances(state.merchant, state.livemode, state.currency)[Account.Kind.AVAILABLE]
        if state.debt != max(0, -available):
            problems.append(
                f"debt of {state.merchant_id}/{state.currency} is {state.debt}, available {available}"
            )
    for account in Account.objects.filter(kind=Account.Kind.AVAILABLE):
        state = MerchantBalanceState.objects.filter(
            merchant_id=account.merchant_id, livemode=account.livemode, currency=account.currency
        ).first()
        balance = balances_by_key([account.key])[account.key]
        if balance < 0 and (state is None or state.debt != -balance):
            problems.append(f"available of {account.key} is {balance} without tracked debt")
    return problems
