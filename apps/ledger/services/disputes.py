"""Disputes: the connector takes a charge's amount back (plus the dispute fee charged to the
merchant); a won dispute returns the amount."""

from __future__ import annotations

from .. import fx
from ..accounts import AccountRef, clearing_ref, platform_ref
from ..errors import DisputeNotDebited, DisputeUnreversible
from ..models import Account, BalanceTransaction, CaptureRecord, JournalEntry
from .booking import BalanceLine, Leg, _book, _entry_existing


def ledger_post_dispute_debit(
    *,
    merchant,
    livemode: bool,
    dispute_id: str,
    amount: int,
    currency: str,
    connector_code: str,
    charge_id: str = "",
    fee: int = 0,
    description: str = "",
) -> JournalEntry:
    """The connector takes `amount` back (connector clearing credited) and the merchant is
    debited it plus the dispute `fee` (available, then pending, then tracked debt). With
    `charge_id` of an FX-converted capture the capture's rate is used. Idempotent per dispute."""
    key = f"dispute_debit:{dispute_id}"
    existing = _entry_existing(key)
    if existing is not None:
        return existing
    currency = currency.upper()
    record = CaptureRecord.objects.filter(charge_id=charge_id).first() if charge_id else None
    settlement_currency, settled_amount = currency, amount
    legs: list[Leg] = [(clearing_ref(livemode, connector_code, currency), amount)]
    rate = ""
    if (
        record is not None
        and record.fx_status == CaptureRecord.FxStatus.CONVERTED
        and record.currency == currency
    ):
        settlement_currency = record.settlement_currency
        settled_amount = fx.convert(amount, rate=record.fx_rate, source=currency, target=settlement_currency)
        rate = format(record.fx_rate.normalize(), "f")
        legs += [
            (platform_ref(livemode, Account.Kind.FX, currency), -amount),
            (platform_ref(livemode, Account.Kind.FX, settlement_currency), settled_amount),
        ]
    if fee:
        legs.append((platform_ref(livemode, Account.Kind.FEES, settlement_currency), fee))
    fee_details = (
        [
            {
                "type": "dispute_fee",
                "amount": fee,
                "currency": settlement_currency.lower(),
                "description": "Dispute fee",
            }
        ]
        if fee
        else []
    )
    return _book(
        kind=JournalEntry.Kind.DISPUTE_DEBIT,
        merchant=merchant,
        livemode=livemode,
        currency=settlement_currency,
        merchant_amount=-(settled_amount + fee),
        legs=legs,
        source_type="dispute",
        source_id=dispute_id,
        idempotency_key=key,
        description=description or f"Dispute {dispute_id}",
        line=BalanceLine(
            type=BalanceTransaction.Type.DISPUTE,
            amount=-settled_amount,
            net=-(settled_amount + fee),
            fee_details=fee_details,
            exchange_rate=rate,
            description=description,
        ),
    ).entry


def _reversal_legs(
    debit: JournalEntry, *, include_fee: bool = False, fee_debit: JournalEntry | None = None
) -> tuple[list[Leg], str, int, int]:
    """The debit's non-merchant legs reversed (the fee kept unless `include_fee`; the fee legs
    are those of `fee_debit` when given: an earlier round's debit that charged it), the one
    currency and amount they return to the merchant, and the fee returned within it."""
    legs: list[Leg] = []
    credit_by_currency: dict[str, int] = {}
    fee = 0
    own_fee = include_fee and fee_debit is None
    postings = [
        p for p in debit.postings.select_related("account") if own_fee or p.account.kind != Account.Kind.FEES
    ]
    if include_fee and fee_debit is not None:
        postings += [
            p for p in fee_debit.postings.select_related("account") if p.account.kind == Account.Kind.FEES
        ]
    for posting in postings:
        account = posting.account
        if account.owner == Account.Owner.MERCHANT:
            continue
        if account.kind == Account.Kind.FEES:
            fee += posting.amount
        ref = AccountRef(
            account.owner,
            account.kind,
            account.merchant_id,
            account.livemode,
            account.currency,
            account.connector_code,
            account.beneficiary_type,
            account.beneficiary_id,
        )
        legs.append((ref, -posting.amount))
        credit_by_currency[account.currency] = credit_by_currency.get(account.currency, 0) + posting.amount
    credit_by_currency = {currency: total for currency, total in credit_by_currency.items() if total}
    if len(credit_by_currency) != 1:
        raise DisputeUnreversible()
    ((currency, amount),) = credit_by_currency.items()
    return legs, currency, amount, fee


def ledger_post_dispute_reversal(
    *, dispute_id: str, description: str = "", include_fee: bool = False, fee_of: str = ""
) -> JournalEntry:
    """A won dispute: the debit is reversed (the fee is kept, unless `include_fee`: the merchant's
    policy refunds it) and the funds return to available (repaying tracked debt first, since debt
    is what available lacks). `fee_of`: the dispute id of the earlier withdrawal round whose fee
    is still charged, when this round's debit carried none (a win without the refund policy kept
    it, the policy changed, the dispute flipped back to lost and is won again). Idempotent."""
    key = f"dispute_reversal:{dispute_id}"
    existing = _entry_existing(key)
    if existing is not None:
        return existing
    debit = (
        JournalEntry.objects.filter(idempotency_key=f"dispute_debit:{dispute_id}")
        .select_related("merchant")
        .first()
    )
    if debit is None:
        raise DisputeNotDebited(dispute_id=dispute_id)
    fee_debit = None
    if include_fee and fee_of and fee_of != dispute_id:
        fee_debit = JournalEntry.objects.filter(idempotency_key=f"dispute_debit:{fee_of}").first()
        if fee_debit is None:
            raise DisputeNotDebited(dispute_id=fee_of)
    legs, currency, amount, fee = _reversal_legs(debit, include_fee=include_fee, fee_debit=fee_debit)
    return _book(
        kind=JournalEntry.Kind.DISPUTE_REVERSAL,
        merchant=debit.merchant,
        livemode=debit.livemode,
        currency=currency,
        merchant_amount=amount,
        legs=legs,
        source_type="dispute",
        source_id=dispute_id,
        idempotency_key=key,
        description=description or f"Dispute {dispute_id} won",
        line=BalanceLine(
            type=BalanceTransaction.Type.DISPUTE_REVERSAL,
            amount=amount - fee,
            net=amount,
            fee_details=[
                {
                    "type": "dispute_fee",
                    "amount": -fee,
                    "currency": currency.lower(),
                    "description": "Dispute fee refunded",
                }
            ]
            if fee
            else [],
            description=description,
        ),
    ).entry
