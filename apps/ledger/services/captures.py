"""Captures: the gross from the connector's clearing account to the merchant's pending balance,
less the processing fee and the split shares, converted to the settlement currency when the
merchant settles in another one."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.merchants.selectors import merchant_settings_get

from .. import fx
from ..accounts import beneficiary_ref, clearing_ref, platform_ref
from ..errors import ConvertedAmountTooSmall, ParameterInvalidInteger
from ..models import Account, BalanceTransaction, CaptureRecord, JournalEntry
from ..payloads import capture_fx_payload
from ..selectors import exchange_rate_find, fee_compute
from ..splits import split_amounts
from .booking import BalanceLine, BookingRows, Leg, _book, _book_rows

logger = logging.getLogger(__name__)

CARD_LIKE = {"card", "apple_pay", "google_pay"}


@dataclass
class CaptureResult:
    record: CaptureRecord
    entry: JournalEntry | None
    balance_transaction: BalanceTransaction | None
    fee_details: list = field(default_factory=list)
    split: list | None = None

    @property
    def application_fee_amount(self) -> int:
        return self.record.fee

    @property
    def fx(self) -> dict | None:
        return capture_fx_payload(self.record)


@dataclass(frozen=True)
class _Conversion:
    status: str
    settlement_currency: str
    settlement_amount: int
    rate: Decimal | None = None
    rate_as_of: datetime | None = None


def _capture_conversion(*, merchant, charge_id: str, amount: int, currency: str, at: datetime) -> _Conversion:
    """Converts at the latest usable rate; without one the capture settles in its own currency
    and is flagged for finance."""
    settlement_currency = capture_settlement_currency(merchant, currency)
    if settlement_currency == currency:
        return _Conversion(CaptureRecord.FxStatus.NOT_NEEDED, currency, amount)
    found = exchange_rate_find(base=currency, quote=settlement_currency, at=at)
    if found is None:
        logger.warning(
            "ledger: no %s→%s rate for %s; settling in %s", currency, settlement_currency, charge_id, currency
        )
        return _Conversion(CaptureRecord.FxStatus.RATE_MISSING, currency, amount)
    settlement_amount = fx.convert(amount, rate=found.rate, source=currency, target=settlement_currency)
    if settlement_amount <= 0:
        raise ConvertedAmountTooSmall()
    return _Conversion(
        CaptureRecord.FxStatus.CONVERTED, settlement_currency, settlement_amount, found.rate, found.as_of
    )


def _share_ref(merchant, livemode: bool, currency: str, share: dict):
    """The account a SystemOwner or Partner share goes to (ServiceOwner shares stay the merchant's)."""
    if share["account_type"] == "SystemOwner":
        return platform_ref(
            livemode,
            Account.Kind.PLATFORM_REVENUE,
            currency,
            beneficiary_type="SystemOwner",
            beneficiary_id=share["account_id"],
        )
    return beneficiary_ref(merchant, livemode, currency, "Partner", share["account_id"])


def _capture_legs(
    *, merchant, livemode: bool, connector_code: str, amount: int, currency: str, conversion, fee, shares
) -> list[Leg]:
    legs: list[Leg] = [(clearing_ref(livemode, connector_code, currency), -amount)]
    settlement_currency = conversion.settlement_currency
    if conversion.status == CaptureRecord.FxStatus.CONVERTED:
        legs += [
            (platform_ref(livemode, Account.Kind.FX, currency), amount),
            (platform_ref(livemode, Account.Kind.FX, settlement_currency), -conversion.settlement_amount),
        ]
    legs.append((platform_ref(livemode, Account.Kind.FEES, settlement_currency), fee))
    for share in shares:
        if share["account_type"] in ("SystemOwner", "Partner"):
            legs.append((_share_ref(merchant, livemode, settlement_currency, share), share["amount"]))
    return legs


def _capture_fee_details(fee: int, shares: list[dict], currency: str) -> list[dict]:
    details = (
        [
            {
                "type": "application_fee",
                "amount": fee,
                "currency": currency.lower(),
                "description": "Processing fee",
            }
        ]
        if fee
        else []
    )
    for share in shares:
        if share["account_type"] != "ServiceOwner":
            details.append(
                {
                    "type": "split",
                    "amount": share["amount"],
                    "currency": currency.lower(),
                    "description": f"{share['account_type']} {share['account_id']}",
                }
            )
    return details


@dataclass(frozen=True)
class _Allocation:
    fee: int
    shares: list[dict]
    merchant_net: int
    fee_details: list[dict]


def _capture_allocation(
    *, merchant, conversion: _Conversion, payment_method_type: str, split: list[dict] | None
) -> _Allocation:
    """The processing fee, the split shares of what is left and the merchant's own part."""
    currency, amount = conversion.settlement_currency, conversion.settlement_amount
    fee, _ = fee_compute(
        merchant=merchant, currency=currency, payment_method_type=payment_method_type, amount=amount
    )
    net = amount - fee
    shares = split_amounts(net, split) if split else []
    merchant_net = net - sum(s["amount"] for s in shares if s["account_type"] != "ServiceOwner")
    return _Allocation(fee, shares, merchant_net, _capture_fee_details(fee, shares, currency))


def _capture_decide(
    *, merchant, livemode: bool, charge_id: str, amount: int, currency: str, connector_code: str,
    payment_method_type: str, split, payment_intent_id: str, captured_at: datetime,
) -> tuple[_Conversion, _Allocation, CaptureRecord]:  # fmt: skip
    """The conversion, the fee and split allocation, and the (unsaved) capture record."""
    conversion = _capture_conversion(
        merchant=merchant, charge_id=charge_id, amount=amount, currency=currency, at=captured_at
    )
    allocation = _capture_allocation(
        merchant=merchant, conversion=conversion, payment_method_type=payment_method_type, split=split
    )
    record = CaptureRecord(
        merchant=merchant,
        livemode=livemode,
        charge_id=charge_id,
        payment_intent_id=payment_intent_id,
        connector_code=connector_code,
        payment_method_type=payment_method_type,
        currency=currency,
        amount=amount,
        settlement_currency=conversion.settlement_currency,
        settlement_amount=conversion.settlement_amount,
        fx_status=conversion.status,
        fx_rate=conversion.rate,
        fx_rate_as_of=conversion.rate_as_of,
        fee=allocation.fee,
        shares=allocation.shares,
        merchant_net=allocation.merchant_net,
    )
    return conversion, allocation, record


@dataclass
class CaptureRows:
    """A capture's rows, unsaved (`ledger_capture_rows`), for a caller that inserts them with
    the rest of its transaction (apps/ledger/sql.py)."""

    record: CaptureRecord
    booking: BookingRows
    fee_details: list
    split: list | None


def ledger_capture_rows(
    *, merchant, livemode: bool, charge_id: str, amount: int, currency: str, connector_code: str,
    payment_method_type: str, split, payment_intent_id: str, captured_at: datetime,
    settlement_delay_days: int,
) -> CaptureRows:  # fmt: skip
    """What `ledger_post_capture(check_existing=False)` writes, when the merchant has no tracked
    debt in the settlement currency (the caller read it in its transaction). The unique
    `CaptureRecord.charge_id` and `JournalEntry.idempotency_key` still refuse a double posting."""
    if amount <= 0:
        raise ParameterInvalidInteger("amount must be positive.", param="amount")
    currency = currency.upper()
    conversion, allocation, record = _capture_decide(
        merchant=merchant, livemode=livemode, charge_id=charge_id, amount=amount, currency=currency,
        connector_code=connector_code, payment_method_type=payment_method_type, split=split,
        payment_intent_id=payment_intent_id, captured_at=captured_at,
    )  # fmt: skip
    booking_args = _capture_booking(
        merchant=merchant, livemode=livemode, charge_id=charge_id, amount=amount, currency=currency,
        connector_code=connector_code, payment_method_type=payment_method_type, conversion=conversion,
        allocation=allocation, captured_at=captured_at, settlement_delay_days=settlement_delay_days,
        description="",
    )  # fmt: skip
    booking = _book_rows(**booking_args)
    return CaptureRows(
        record=record, booking=booking, fee_details=allocation.fee_details, split=allocation.shares or None
    )


def capture_settlement_currency(merchant, currency: str) -> str:
    """The currency a capture in `currency` books in (whose merchant debt it reads)."""
    return (merchant.settlement_currency or currency).upper()


def _capture_booking(
    *,
    merchant,
    livemode: bool,
    charge_id: str,
    amount: int,
    currency: str,
    connector_code: str,
    payment_method_type: str,
    conversion: _Conversion,
    allocation: _Allocation,
    captured_at: datetime,
    settlement_delay_days: int,
    description: str,
) -> dict:
    """The arguments of the capture's `_book` (or `_book_rows`)."""
    legs = _capture_legs(
        merchant=merchant,
        livemode=livemode,
        connector_code=connector_code,
        amount=amount,
        currency=currency,
        conversion=conversion,
        fee=allocation.fee,
        shares=allocation.shares,
    )
    card_like = payment_method_type in CARD_LIKE
    return dict(
        kind=JournalEntry.Kind.CAPTURE,
        merchant=merchant,
        livemode=livemode,
        currency=conversion.settlement_currency,
        merchant_amount=allocation.merchant_net,
        new_funds=True,
        legs=legs,
        source_type="charge",
        source_id=charge_id,
        idempotency_key=f"capture:{charge_id}",
        description=description or f"Capture {charge_id}",
        effective_at=captured_at,
        line=BalanceLine(
            type=BalanceTransaction.Type.CHARGE if card_like else BalanceTransaction.Type.PAYMENT,
            amount=conversion.settlement_amount,
            net=allocation.merchant_net,
            fee_details=allocation.fee_details,
            exchange_rate=format(conversion.rate.normalize(), "f") if conversion.rate is not None else "",
            description=description,
            available_on=captured_at + timedelta(days=settlement_delay_days),
        ),
    )


def ledger_post_capture(
    *,
    merchant,
    livemode: bool,
    charge_id: str,
    amount: int,
    currency: str,
    connector_code: str,
    payment_method_type: str = "card",
    split: list[dict] | None = None,
    payment_intent_id: str = "",
    captured_at: datetime | None = None,
    settlement_delay_days: int | None = None,
    description: str = "",
    check_existing: bool = True,
) -> CaptureResult:
    """Gross to connector clearing (debit) against the merchant's pending balance, the fee to
    platform fees, split shares to their accounts, FX through the FX accounts. Idempotent per
    charge. Call inside the capture transaction."""
    if amount <= 0:
        raise ParameterInvalidInteger("amount must be positive.", param="amount")
    currency = currency.upper()
    existing = CaptureRecord.objects.filter(charge_id=charge_id).first() if check_existing else None
    if existing is not None:
        return CaptureResult(
            record=existing, entry=None, balance_transaction=None, split=existing.shares or None
        )
    captured_at = captured_at or timezone.now()
    conversion, allocation, record = _capture_decide(
        merchant=merchant, livemode=livemode, charge_id=charge_id, amount=amount, currency=currency,
        connector_code=connector_code, payment_method_type=payment_method_type, split=split,
        payment_intent_id=payment_intent_id, captured_at=captured_at,
    )  # fmt: skip
    if settlement_delay_days is None:
        settlement_delay_days = merchant_settings_get(merchant).settlement_delay_days
    booking_args = _capture_booking(
        merchant=merchant, livemode=livemode, charge_id=charge_id, amount=amount, currency=currency,
        connector_code=connector_code, payment_method_type=payment_method_type, conversion=conversion,
        allocation=allocation, captured_at=captured_at, settlement_delay_days=settlement_delay_days,
        description=description,
    )  # fmt: skip
    with transaction.atomic(savepoint=False):  # the entry and its record, also in autocommit
        booking = _book(**booking_args)
        record.save(force_insert=True)
    return CaptureResult(
        record=record,
        entry=booking.entry,
        balance_transaction=booking.balance_transaction,
        fee_details=allocation.fee_details,
        split=allocation.shares or None,
    )
