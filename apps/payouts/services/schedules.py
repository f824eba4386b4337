"""Payout schedules: a merchant's available balance swept to its default bank account daily,
weekly or monthly."""

from __future__ import annotations

import calendar
import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.currencies import CURRENCIES
from apps.core.errors import InvalidRequestError, StateConflictError
from apps.core.limits import BIGINT_MAX
from apps.ledger.selectors import ledger_available_balance

from ..errors import ParameterInvalid
from ..models import BankAccount, Payout, PayoutSchedule
from ..payloads import payout_schedule_payload
from .lifecycle import payout_create

logger = logging.getLogger(__name__)


def payout_schedule_get(*, merchant, livemode: bool) -> PayoutSchedule:
    schedule, _ = PayoutSchedule.objects.get_or_create(merchant=merchant, livemode=livemode)
    return schedule


def payout_schedule_update(*, merchant, livemode: bool, changes: dict, actor: Actor) -> PayoutSchedule:
    with transaction.atomic():
        schedule = payout_schedule_get(merchant=merchant, livemode=livemode)
        schedule = PayoutSchedule.objects.select_for_update().get(pk=schedule.pk)
        before = payout_schedule_payload(schedule)
        for name in ("interval", "weekly_anchor", "monthly_anchor", "minimum_amount"):
            if name in changes:
                setattr(schedule, name, changes[name])
        if "minimum_amounts" in changes:
            schedule.minimum_amounts = _merged_minimums(schedule.minimum_amounts, changes["minimum_amounts"])
        if schedule.weekly_anchor not in PayoutSchedule.WEEKDAYS:
            raise ParameterInvalid("weekly_anchor must be a weekday name.", param="weekly_anchor")
        schedule.save()
        after = payout_schedule_payload(schedule)
        audit_record(
            actor=actor,
            action="payout_schedule.updated",
            merchant=merchant,
            obj=schedule,
            object_id=f"{merchant.public_id}:payout_schedule",
            before=before,
            after=after,
        )
    return schedule


def _merged_minimums(current: dict, given: dict | None) -> dict:
    """`given` is {currency: minor units, or None to drop the currency's own minimum}; currencies
    are ISO codes in any case, amounts non-negative integers within the currency's limits."""
    if given is None:  # minimum_amounts= : no currency keeps its own minimum
        return {}
    merged = dict(current or {})
    for code, amount in given.items():
        currency = str(code).upper()
        if currency not in CURRENCIES:
            raise ParameterInvalid(f"Invalid currency: {code}.", param=f"minimum_amounts[{code}]")
        if amount is None:
            merged.pop(currency, None)
            continue
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0 or amount > BIGINT_MAX:
            raise ParameterInvalid(
                "A minimum is a non-negative integer in the currency's smallest unit.",
                param=f"minimum_amounts[{code}]",
            )
        merged[currency] = amount
    return dict(sorted(merged.items()))


def payout_schedule_is_due(schedule: PayoutSchedule, today: date) -> bool:
    if schedule.interval == PayoutSchedule.Interval.DAILY:
        return True
    if schedule.interval == PayoutSchedule.Interval.WEEKLY:
        return PayoutSchedule.WEEKDAYS[today.weekday()] == schedule.weekly_anchor
    if schedule.interval == PayoutSchedule.Interval.MONTHLY:
        last_day = calendar.monthrange(today.year, today.month)[1]
        return today.day == min(schedule.monthly_anchor, last_day)
    return False


def _schedule_sweep(schedule: PayoutSchedule) -> list[Payout]:
    """One automatic payout per currency whose available balance reaches the minimum."""
    merchant, livemode = schedule.merchant, schedule.livemode
    created = []
    for account in BankAccount.objects.filter(
        merchant=merchant, livemode=livemode, default_for_currency=True
    ).exclude(status=BankAccount.Status.DELETED):
        available = ledger_available_balance(merchant=merchant, livemode=livemode, currency=account.currency)
        if available <= 0 or available < schedule.minimum_for(account.currency):
            continue
        try:
            created.append(
                payout_create(
                    merchant=merchant,
                    livemode=livemode,
                    amount=available,
                    currency=account.currency,
                    actor=Actor.system("payout_schedule"),
                    automatic=True,
                    description="Automatic payout",
                )
            )
        except (InvalidRequestError, StateConflictError) as exc:
            logger.warning(
                "scheduled payout for %s %s skipped: %s", merchant.public_id, account.currency, exc.code
            )
    return created


def payouts_run_scheduled(*, today: date | None = None) -> list[Payout]:
    """Beat: for each schedule due today (once a day), sweeps each currency's available balance
    to its default bank account when it reaches the schedule's minimum."""
    today = today or timezone.now().date()
    created: list[Payout] = []
    schedules = PayoutSchedule.objects.exclude(interval=PayoutSchedule.Interval.MANUAL).select_related(
        "merchant"
    )
    for schedule in schedules:
        if schedule.last_run_on == today or not payout_schedule_is_due(schedule, today):
            continue
        created += _schedule_sweep(schedule)
        PayoutSchedule.objects.filter(pk=schedule.pk).update(last_run_on=today)
    return created
