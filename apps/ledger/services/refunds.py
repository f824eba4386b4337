"""Refunds: a captured charge reversed in part or whole, at the capture's rate and split."""

from __future__ import annotations

from datetime import datetime

from .. import fx
from ..accounts import clearing_ref, platform_ref
from ..errors import RefundExceedsCapture
from ..models import Account, BalanceTransaction, CaptureRecord, JournalEntry
from .booking import BalanceLine, Leg, _book, _entry_existing
from .captures import _share_ref


def _settlement_part(record: CaptureRecord, cumulative: int) -> int:
    """Cumulative settlement-currency amount for a cumulative source amount, at the capture's
    rate; the full amount maps to exactly the settled amount."""
    if record.fx_status != CaptureRecord.FxStatus.CONVERTED:
        return cumulative
    if cumulative >= record.amount:
        return record.settlement_amount
    converted = fx.convert(
        cumulative, rate=record.fx_rate, source=record.currency, target=record.settlement_currency
    )
    return min(converted, record.settlement_amount)


def _split_reversal(record: CaptureRecord, settled_before: int, settled_after: int):
    """Each share's part of the reversal (floor per share of the cumulative amount, so repeated
    partial refunds never reverse more than the share); the merchant takes the rounding.
    Returns the legs, the fee details and the total reversed."""
    merchant, livemode, currency = record.merchant, record.livemode, record.settlement_currency
    legs: list[Leg] = []
    fee_details = []
    reversed_total = 0
    for share in record.shares or []:
        if share["account_type"] == "ServiceOwner":
            continue
        part = (share["amount"] * settled_after) // record.settlement_amount - (
            share["amount"] * settled_before
        ) // record.settlement_amount
        if not part:
            continue
        reversed_total += part
        legs.append((_share_ref(merchant, livemode, currency, share), -part))
        fee_details.append(
            {
                "type": "split_reversal",
                "amount": -part,
                "currency": currency.lower(),
                "description": f"{share['account_type']} {share['account_id']}",
            }
        )
    return legs, fee_details, reversed_total


def ledger_post_refund(
    *,
    refund_id: str,
    charge_id: str,
    amount: int,
    refunded_at: datetime | None = None,
    description: str = "",
) -> JournalEntry:
    """Reverses `amount` of a captured charge: connector clearing credited, split shares
    reversed proportionally (floor per share, the merchant takes the rounding), the merchant
    debited available first, then pending, then as tracked debt. Fees are not returned.
    Idempotent per refund."""
    key = f"refund:{refund_id}"
    existing = _entry_existing(key)
    if existing is not None:
        return existing
    record = CaptureRecord.objects.select_for_update().select_related("merchant").get(charge_id=charge_id)
    if amount <= 0 or record.refunded_amount + amount > record.amount:
        raise RefundExceedsCapture(amount=amount, left=record.amount - record.refunded_amount)
    livemode = record.livemode
    currency, settlement_currency = record.currency, record.settlement_currency
    after = record.refunded_amount + amount
    settled_before, settled_after = record.refunded_settlement_amount, _settlement_part(record, after)
    settled_amount = settled_after - settled_before

    legs: list[Leg] = [(clearing_ref(livemode, record.connector_code, currency), amount)]
    if record.fx_status == CaptureRecord.FxStatus.CONVERTED:
        legs += [
            (platform_ref(livemode, Account.Kind.FX, currency), -amount),
            (platform_ref(livemode, Account.Kind.FX, settlement_currency), settled_amount),
        ]
    share_legs, fee_details, reversed_total = _split_reversal(record, settled_before, settled_after)
    merchant_part = settled_amount - reversed_total
    booking = _book(
        kind=JournalEntry.Kind.REFUND,
        merchant=record.merchant,
        livemode=livemode,
        currency=settlement_currency,
        merchant_amount=-merchant_part,
        legs=[*legs, *share_legs],
        source_type="refund",
        source_id=refund_id,
        idempotency_key=key,
        description=description or f"Refund {refund_id} of {charge_id}",
        effective_at=refunded_at,
        line=BalanceLine(
            type=BalanceTransaction.Type.REFUND,
            amount=-settled_amount,
            net=-merchant_part,
            fee_details=fee_details,
            exchange_rate=format(record.fx_rate.normalize(), "f") if record.fx_rate is not None else "",
            description=description,
        ),
    )
    record.refunded_amount = after
    record.refunded_settlement_amount = settled_after
    record.save(update_fields=["refunded_amount", "refunded_settlement_amount", "updated_at"])
    return booking.entry
