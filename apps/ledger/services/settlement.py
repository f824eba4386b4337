"""Settlement: pending funds whose settlement delay has passed become available."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.clock import ClockScope, clock_filter
from apps.merchants.models import Merchant
from apps.webhooks.services import event_record

from ..accounts import merchant_ref
from ..models import Account, BalanceTransaction, JournalEntry
from ..payloads import balance_payload
from ..selectors import merchant_balances
from .booking import _balance_state_lock, _debt_set, _post


def ledger_settle_due(
    *, merchant, livemode: bool, currency: str, now: datetime | None = None, scope: ClockScope | None = None
) -> int:
    """Moves the pending part of every balance transaction whose `available_on` has passed to
    available (capped by the pending balance: refunds may have consumed part of it), marks
    those transactions available and records `balance.available`. Returns the amount moved.
    With a test clock's ``scope``, only that clock's transactions; without, all but those."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _balance_state_lock(merchant, livemode, currency)
        due = clock_filter(
            BalanceTransaction.objects.select_for_update().filter(
                merchant=merchant,
                livemode=livemode,
                currency=currency,
                status=BalanceTransaction.Status.PENDING,
                available_on__lte=now,
            ),
            scope=scope,
        )
        due_ids = list(due.values_list("pk", flat=True))
        if not due_ids:
            return 0
        due_total = (
            BalanceTransaction.objects.filter(pk__in=due_ids).aggregate(total=Sum("pending_amount"))["total"]
            or 0
        )
        balances = merchant_balances(merchant, livemode, currency)
        move = min(due_total, max(balances[Account.Kind.PENDING], 0))
        if move > 0:
            _post(
                kind=JournalEntry.Kind.SETTLEMENT,
                merchant=merchant,
                livemode=livemode,
                legs=[
                    (merchant_ref(merchant, livemode, Account.Kind.PENDING, currency), -move),
                    (merchant_ref(merchant, livemode, Account.Kind.AVAILABLE, currency), move),
                ],
                source_type="settlement",
                description=f"{len(due_ids)} transaction(s) became available",
                effective_at=now,
            )
            _debt_set(state, balances[Account.Kind.AVAILABLE] + move)
        BalanceTransaction.objects.filter(pk__in=due_ids).update(
            status=BalanceTransaction.Status.AVAILABLE, pending_amount=0, updated_at=now
        )
        if move > 0:
            event_record(
                merchant=merchant,
                livemode=livemode,
                type="balance.available",
                data=balance_payload(merchant=merchant, livemode=livemode),
            )
    return move


def ledger_settle_all_due(*, now: datetime | None = None, scope: ClockScope | None = None) -> int:
    """The beat task's body: one short transaction per merchant, mode and currency (with a test
    clock's ``scope``, that clock's transactions only; without, all but the clocks')."""
    now = now or timezone.now()
    due = BalanceTransaction.objects.filter(status=BalanceTransaction.Status.PENDING, available_on__lte=now)
    groups = clock_filter(due, scope=scope).values_list("merchant_id", "livemode", "currency").distinct()
    moved = 0
    for merchant_id, livemode, currency in list(groups):
        merchant = Merchant.objects.get(pk=merchant_id)
        moved += ledger_settle_due(
            merchant=merchant, livemode=livemode, currency=currency, now=now, scope=scope
        )
    return moved
