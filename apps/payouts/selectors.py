"""Tenant-scoped reads of bank accounts and payouts."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from apps.core.selectors import tenant_get

from .models import BankAccount, Payout


def bank_account_get(*, merchant, livemode: bool, id: str, param: str = "id") -> BankAccount:
    return tenant_get(
        BankAccount.objects.exclude(status=BankAccount.Status.DELETED).select_related("merchant"),
        merchant=merchant, livemode=livemode, id=id, resource="bank_account", param=param,
    )  # fmt: skip


def bank_account_list(*, merchant, livemode: bool, currency: str = "") -> QuerySet:
    qs = BankAccount.objects.filter(merchant=merchant, livemode=livemode).exclude(
        status=BankAccount.Status.DELETED
    )
    if currency:
        qs = qs.filter(currency=currency.upper())
    return qs


def bank_account_default(*, merchant, livemode: bool, currency: str) -> BankAccount | None:
    return (
        BankAccount.objects.filter(
            merchant=merchant, livemode=livemode, currency=currency, default_for_currency=True
        )
        .exclude(status=BankAccount.Status.DELETED)
        .first()
    )


def payout_get(*, merchant, livemode: bool, id: str) -> Payout:
    return tenant_get(
        Payout.objects.select_related("destination", "merchant"),
        merchant=merchant, livemode=livemode, id=id, resource="payout",
    )  # fmt: skip


def payout_list(*, merchant, livemode: bool, status: str = "", destination: str = "") -> QuerySet:
    qs = Payout.objects.filter(merchant=merchant, livemode=livemode).select_related("destination")
    if status:
        qs = qs.filter(status=status)
    if destination:
        qs = qs.filter(destination__public_id=destination)
    return qs


def payout_open_totals(*, merchant_id: int | None = None) -> list[dict]:
    """Pending and failed payouts for the back-office dashboard: rows of status, currency, amount, count."""
    qs = Payout.objects.filter(status__in=[Payout.Status.PENDING, Payout.Status.FAILED]).order_by()
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return list(
        qs.values("status", "currency").annotate(amount=Sum("amount"), count=Count("id")).order_by("status")
    )
