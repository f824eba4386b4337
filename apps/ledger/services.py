"""Every money movement of Clearhouse, as balanced journal entries.

Services take primitive arguments (merchant, mode, amounts, currencies, source ids) so that the
capture/refund hooks, the payouts app, tests and benchmarks all drive the same code.

Locking: operations that *debit* a merchant lock its `MerchantBalanceState` row for the
currency (refunds, disputes, payouts, settlement, adjustments). Captures never take that lock
unless the merchant is in debt (then the new funds repay it first), so captures of one merchant
run in parallel like captures of different merchants.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.currencies import get_currency
from apps.core.errors import InvalidRequestError, StateConflictError
from apps.core.payloads import unix

from . import fx
from .accounts import (
    AccountRef,
    accounts_get_or_create,
    balances_by_key,
    beneficiary_ref,
    clearing_ref,
    merchant_ref,
    platform_ref,
)
from .models import (
    Account,
    BalanceSnapshot,
    BalanceTransaction,
    CaptureRecord,
    FeeSchedule,
    JournalEntry,
    MerchantBalanceState,
    Posting,
    SnapshotHorizon,
)
from .splits import split_amounts

logger = logging.getLogger(__name__)

K = Account.Kind
TX = BalanceTransaction.Type
CARD_LIKE = {"card", "apple_pay", "google_pay"}


class LedgerError(StateConflictError):
    pass


# ---------------------------------------------------------------------------------------------
# the one posting primitive
# ---------------------------------------------------------------------------------------------


def _post(
    *,
    kind: str,
    merchant,
    livemode: bool,
    legs: list[tuple[AccountRef, int]],
    source_type: str = "",
    source_id: str = "",
    idempotency_key: str | None = None,
    description: str = "",
    effective_at: datetime | None = None,
) -> JournalEntry:
    """Writes one entry and its postings. Legs on the same account are merged, zero legs dropped;
    the per-currency zero sum is checked here and again by the database at commit."""
    merged: dict[str, list] = {}
    for ref, amount in legs:
        if ref.key in merged:
            merged[ref.key][1] += amount
        else:
            merged[ref.key] = [ref, amount]
    totals: dict[str, int] = {}
    for ref, amount in merged.values():
        totals[ref.currency] = totals.get(ref.currency, 0) + amount
    unbalanced = {cur: total for cur, total in totals.items() if total}
    if unbalanced:
        raise ValueError(f"unbalanced journal entry {kind}: {unbalanced}")
    live = [(ref, amount) for ref, amount in merged.values() if amount]
    entry = JournalEntry.objects.create(
        kind=kind,
        merchant=merchant,
        livemode=livemode,
        source_type=source_type,
        source_id=source_id,
        idempotency_key=idempotency_key,
        description=description[:500],
        effective_at=effective_at or timezone.now(),
    )
    _insert_postings(entry, live)
    return entry


_POSTINGS_BY_KEY_SQL = """
    INSERT INTO ledger_posting (entry_id, account_id, amount, currency)
    SELECT %s, a.id, v.amount, v.currency
    FROM unnest(%s::text[], %s::bigint[], %s::text[]) WITH ORDINALITY AS v(key, amount, currency, ord)
    JOIN ledger_account a ON a.key = v.key
    ORDER BY v.ord
    RETURNING account_id
"""


def _insert_postings(entry: JournalEntry, live: list[tuple[AccountRef, int]]) -> None:
    """One statement in the usual case: the postings are inserted joined to their accounts by key
    (no separate account lookup). Legs whose account does not exist yet are created race-free by
    `accounts_get_or_create` and inserted afterwards."""
    if not live:
        return
    inserted: set[int] = set()
    if connection.vendor != "postgresql":  # the embedded SQLite demo: no unnest(); plain ORM path
        _insert_postings_orm(entry, live, inserted)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _POSTINGS_BY_KEY_SQL,
            [
                entry.pk,
                [ref.key for ref, _ in live],
                [amount for _, amount in live],
                [ref.currency for ref, _ in live],
            ],
        )
        inserted = {row[0] for row in cursor.fetchall()}
    if len(inserted) == len(live):
        return
    _insert_postings_orm(entry, live, inserted)


def _insert_postings_orm(entry: JournalEntry, live: list[tuple[AccountRef, int]], inserted: set[int]) -> None:
    accounts = accounts_get_or_create([ref for ref, _ in live])
    Posting.objects.bulk_create(
        [
            Posting(entry=entry, account=accounts[ref.key], amount=amount, currency=ref.currency)
            for ref, amount in live
            if accounts[ref.key].pk not in inserted
        ]
    )


def _existing(idempotency_key: str) -> JournalEntry | None:
    return JournalEntry.objects.filter(idempotency_key=idempotency_key).first()


# ---------------------------------------------------------------------------------------------
# merchant balance helpers (credits, debits, tracked debt)
# ---------------------------------------------------------------------------------------------


def _lock_state(merchant, livemode: bool, currency: str) -> MerchantBalanceState:
    MerchantBalanceState.objects.bulk_create(
        [MerchantBalanceState(merchant=merchant, livemode=livemode, currency=currency)], ignore_conflicts=True
    )
    return MerchantBalanceState.objects.select_for_update().get(
        merchant=merchant, livemode=livemode, currency=currency
    )


def merchant_balances(merchant, livemode: bool, currency: str) -> dict[str, int]:
    refs = {kind: merchant_ref(merchant, livemode, kind, currency) for kind in Account.MERCHANT_KINDS}
    by_key = balances_by_key([ref.key for ref in refs.values()])
    return {str(kind): by_key[ref.key] for kind, ref in refs.items()}


def _set_debt(state: MerchantBalanceState, available_after: int) -> None:
    debt = max(0, -available_after)
    if debt != state.debt:
        state.debt = debt
        state.save(update_fields=["debt", "updated_at"])


def _debit_legs(
    state: MerchantBalanceState, merchant, livemode: bool, currency: str, amount: int
) -> tuple[list[tuple[AccountRef, int]], int]:
    """Takes `amount` from available first, then pending; what neither covers is taken from
    available anyway and becomes tracked debt. Caller holds the state lock."""
    balances = merchant_balances(merchant, livemode, currency)
    available, pending = balances[K.AVAILABLE], balances[K.PENDING]
    if amount <= 0:  # split rounding can leave the merchant a unit to receive back
        return [(merchant_ref(merchant, livemode, K.AVAILABLE, currency), -amount)], available - amount
    from_available = min(amount, max(available, 0))
    rest = amount - from_available
    from_pending = min(rest, max(pending, 0))
    shortfall = rest - from_pending
    legs = [
        (merchant_ref(merchant, livemode, K.AVAILABLE, currency), -(from_available + shortfall)),
        (merchant_ref(merchant, livemode, K.PENDING, currency), -from_pending),
    ]
    return legs, available - from_available - shortfall


def _credit_legs(
    merchant, livemode: bool, currency: str, amount: int
) -> tuple[list[tuple[AccountRef, int]], int]:
    """New funds go to pending, except what repays tracked debt (straight to available).
    Returns the legs and the part that stays pending."""
    debt = (
        MerchantBalanceState.objects.filter(merchant=merchant, livemode=livemode, currency=currency)
        .values_list("debt", flat=True)
        .first()
    )
    if not debt or amount <= 0:
        return [(merchant_ref(merchant, livemode, K.PENDING, currency), amount)], amount
    state = _lock_state(merchant, livemode, currency)
    available = merchant_balances(merchant, livemode, currency)[K.AVAILABLE]
    repay = min(amount, max(0, -available))
    _set_debt(state, available + repay)
    return [
        (merchant_ref(merchant, livemode, K.AVAILABLE, currency), repay),
        (merchant_ref(merchant, livemode, K.PENDING, currency), amount - repay),
    ], amount - repay


def _txn(
    *,
    merchant,
    livemode: bool,
    entry: JournalEntry,
    type: str,
    amount: int,
    net: int,
    currency: str,
    source_type: str,
    source_id: str,
    fee_details: list | None = None,
    exchange_rate: str = "",
    payout_id: str = "",
    description: str = "",
    available_on: datetime | None = None,
    pending_amount: int = 0,
) -> BalanceTransaction:
    now = timezone.now()
    return BalanceTransaction.objects.create(
        merchant=merchant,
        livemode=livemode,
        type=type,
        status=BalanceTransaction.Status.PENDING if pending_amount else BalanceTransaction.Status.AVAILABLE,
        amount=amount,
        fee=amount - net,
        net=net,
        currency=currency,
        fee_details=fee_details or [],
        exchange_rate=exchange_rate,
        source_type=source_type,
        source_id=source_id,
        payout_id=payout_id,
        description=description[:500],
        available_on=available_on or now,
        pending_amount=pending_amount,
        journal_entry=entry,
    )


# ---------------------------------------------------------------------------------------------
# fees
# ---------------------------------------------------------------------------------------------


def fee_schedule_find(*, merchant, currency: str, payment_method_type: str) -> FeeSchedule | None:
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


# ---------------------------------------------------------------------------------------------
# captures
# ---------------------------------------------------------------------------------------------


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
        return capture_fx_dict(self.record)


def capture_fx_dict(record: CaptureRecord) -> dict | None:
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
        raise InvalidRequestError(
            "amount must be positive.", code="parameter_invalid_integer", param="amount"
        )
    currency = currency.upper()
    existing = CaptureRecord.objects.filter(charge_id=charge_id).first() if check_existing else None
    if existing is not None:
        return CaptureResult(
            record=existing, entry=None, balance_transaction=None, split=existing.shares or None
        )
    captured_at = captured_at or timezone.now()

    settlement_currency = (merchant.settlement_currency or currency).upper()
    fx_status = CaptureRecord.FxStatus.NOT_NEEDED
    rate = rate_as_of = None
    settlement_amount = amount
    if settlement_currency != currency:
        found = fx.rate_find(base=currency, quote=settlement_currency, at=captured_at)
        if found is None:
            fx_status = CaptureRecord.FxStatus.RATE_MISSING
            logger.warning(
                "ledger: no %s→%s rate for %s; settling in %s",
                currency,
                settlement_currency,
                charge_id,
                currency,
            )
            settlement_currency = currency
        else:
            fx_status = CaptureRecord.FxStatus.CONVERTED
            rate, rate_as_of = found.rate, found.as_of
            settlement_amount = fx.convert(amount, rate=rate, source=currency, target=settlement_currency)
            if settlement_amount <= 0:
                raise LedgerError(
                    "The converted amount rounds to zero.", code="amount_too_small", param="amount"
                )

    fee, _ = fee_compute(
        merchant=merchant,
        currency=settlement_currency,
        payment_method_type=payment_method_type,
        amount=settlement_amount,
    )
    net = settlement_amount - fee
    shares = split_amounts(net, split) if split else []
    merchant_net = net - sum(s["amount"] for s in shares if s["account_type"] != "ServiceOwner")

    legs: list[tuple[AccountRef, int]] = [(clearing_ref(livemode, connector_code, currency), -amount)]
    if fx_status == CaptureRecord.FxStatus.CONVERTED:
        legs += [
            (platform_ref(livemode, K.FX, currency), amount),
            (platform_ref(livemode, K.FX, settlement_currency), -settlement_amount),
        ]
    legs.append((platform_ref(livemode, K.FEES, settlement_currency), fee))
    for share in shares:
        if share["account_type"] == "SystemOwner":
            ref = platform_ref(
                livemode,
                K.PLATFORM_REVENUE,
                settlement_currency,
                beneficiary_type="SystemOwner",
                beneficiary_id=share["account_id"],
            )
            legs.append((ref, share["amount"]))
        elif share["account_type"] == "Partner":
            ref = beneficiary_ref(merchant, livemode, settlement_currency, "Partner", share["account_id"])
            legs.append((ref, share["amount"]))
    credit, pending_part = _credit_legs(merchant, livemode, settlement_currency, merchant_net)
    legs += credit

    entry = _post(
        kind=JournalEntry.Kind.CAPTURE,
        merchant=merchant,
        livemode=livemode,
        legs=legs,
        source_type="charge",
        source_id=charge_id,
        idempotency_key=f"capture:{charge_id}",
        description=description or f"Capture {charge_id}",
        effective_at=captured_at,
    )
    record = CaptureRecord.objects.create(
        merchant=merchant,
        livemode=livemode,
        charge_id=charge_id,
        payment_intent_id=payment_intent_id,
        connector_code=connector_code,
        payment_method_type=payment_method_type,
        currency=currency,
        amount=amount,
        settlement_currency=settlement_currency,
        settlement_amount=settlement_amount,
        fx_status=fx_status,
        fx_rate=rate,
        fx_rate_as_of=rate_as_of,
        fee=fee,
        shares=shares,
        merchant_net=merchant_net,
    )
    fee_details = (
        [
            {
                "type": "application_fee",
                "amount": fee,
                "currency": settlement_currency.lower(),
                "description": "Processing fee",
            }
        ]
        if fee
        else []
    )
    for share in shares:
        if share["account_type"] != "ServiceOwner":
            fee_details.append(
                {
                    "type": "split",
                    "amount": share["amount"],
                    "currency": settlement_currency.lower(),
                    "description": f"{share['account_type']} {share['account_id']}",
                }
            )
    if settlement_delay_days is None:
        from apps.merchants.selectors import merchant_settings_get

        settlement_delay_days = merchant_settings_get(merchant).settlement_delay_days
    txn = _txn(
        merchant=merchant,
        livemode=livemode,
        entry=entry,
        type=TX.CHARGE if payment_method_type in CARD_LIKE else TX.PAYMENT,
        amount=settlement_amount,
        net=merchant_net,
        currency=settlement_currency,
        source_type="charge",
        source_id=charge_id,
        fee_details=fee_details,
        exchange_rate=format(rate.normalize(), "f") if rate is not None else "",
        description=description,
        available_on=captured_at + timedelta(days=settlement_delay_days),
        pending_amount=pending_part,
    )
    return CaptureResult(
        record=record, entry=entry, balance_transaction=txn, fee_details=fee_details, split=shares or None
    )


# ---------------------------------------------------------------------------------------------
# refunds and disputes
# ---------------------------------------------------------------------------------------------


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
    existing = _existing(key)
    if existing is not None:
        return existing
    record = CaptureRecord.objects.select_for_update().select_related("merchant").get(charge_id=charge_id)
    if amount <= 0 or record.refunded_amount + amount > record.amount:
        raise LedgerError(
            f"Refund of {amount} exceeds what is left of the capture ({record.amount - record.refunded_amount}).",
            code="ledger_refund_exceeds_capture",
            param="amount",
        )
    merchant, livemode = record.merchant, record.livemode
    after = record.refunded_amount + amount
    s_before, s_after = record.refunded_settlement_amount, _settlement_part(record, after)
    s_amount = s_after - s_before
    cur, scur = record.currency, record.settlement_currency

    legs: list[tuple[AccountRef, int]] = [(clearing_ref(livemode, record.connector_code, cur), amount)]
    if record.fx_status == CaptureRecord.FxStatus.CONVERTED:
        legs += [(platform_ref(livemode, K.FX, cur), -amount), (platform_ref(livemode, K.FX, scur), s_amount)]
    reversed_total = 0
    fee_details = []
    for share in record.shares or []:
        if share["account_type"] == "ServiceOwner":
            continue
        part = (share["amount"] * s_after) // record.settlement_amount - (
            share["amount"] * s_before
        ) // record.settlement_amount
        if not part:
            continue
        reversed_total += part
        if share["account_type"] == "SystemOwner":
            ref = platform_ref(
                livemode,
                K.PLATFORM_REVENUE,
                scur,
                beneficiary_type="SystemOwner",
                beneficiary_id=share["account_id"],
            )
        else:
            ref = beneficiary_ref(merchant, livemode, scur, "Partner", share["account_id"])
        legs.append((ref, -part))
        fee_details.append(
            {
                "type": "split_reversal",
                "amount": -part,
                "currency": scur.lower(),
                "description": f"{share['account_type']} {share['account_id']}",
            }
        )
    merchant_part = s_amount - reversed_total
    state = _lock_state(merchant, livemode, scur)
    debit, available_after = _debit_legs(state, merchant, livemode, scur, merchant_part)
    legs += debit
    entry = _post(
        kind=JournalEntry.Kind.REFUND,
        merchant=merchant,
        livemode=livemode,
        legs=legs,
        source_type="refund",
        source_id=refund_id,
        idempotency_key=key,
        description=description or f"Refund {refund_id} of {charge_id}",
        effective_at=refunded_at,
    )
    _set_debt(state, available_after)
    record.refunded_amount = after
    record.refunded_settlement_amount = s_after
    record.save(update_fields=["refunded_amount", "refunded_settlement_amount", "updated_at"])
    _txn(
        merchant=merchant,
        livemode=livemode,
        entry=entry,
        type=TX.REFUND,
        amount=-s_amount,
        net=-merchant_part,
        currency=scur,
        source_type="refund",
        source_id=refund_id,
        fee_details=fee_details,
        exchange_rate=format(record.fx_rate.normalize(), "f") if record.fx_rate is not None else "",
        description=description,
    )
    return entry


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
    """Placeholder for the disputes app: the connector takes `amount` back (connector clearing
    credited) and the merchant is debited it plus the dispute `fee` (available, then pending,
    then tracked debt). With `charge_id` of an FX-converted capture the capture's rate is used.
    Idempotent per dispute."""
    key = f"dispute_debit:{dispute_id}"
    existing = _existing(key)
    if existing is not None:
        return existing
    currency = currency.upper()
    record = CaptureRecord.objects.filter(charge_id=charge_id).first() if charge_id else None
    scur, s_amount = currency, amount
    legs: list[tuple[AccountRef, int]] = [(clearing_ref(livemode, connector_code, currency), amount)]
    rate = ""
    if (
        record is not None
        and record.fx_status == CaptureRecord.FxStatus.CONVERTED
        and record.currency == currency
    ):
        scur = record.settlement_currency
        s_amount = fx.convert(amount, rate=record.fx_rate, source=currency, target=scur)
        rate = format(record.fx_rate.normalize(), "f")
        legs += [
            (platform_ref(livemode, K.FX, currency), -amount),
            (platform_ref(livemode, K.FX, scur), s_amount),
        ]
    if fee:
        legs.append((platform_ref(livemode, K.FEES, scur), fee))
    state = _lock_state(merchant, livemode, scur)
    debit, available_after = _debit_legs(state, merchant, livemode, scur, s_amount + fee)
    legs += debit
    entry = _post(
        kind=JournalEntry.Kind.DISPUTE_DEBIT,
        merchant=merchant,
        livemode=livemode,
        legs=legs,
        source_type="dispute",
        source_id=dispute_id,
        idempotency_key=key,
        description=description or f"Dispute {dispute_id}",
    )
    _set_debt(state, available_after)
    _txn(
        merchant=merchant,
        livemode=livemode,
        entry=entry,
        type=TX.DISPUTE,
        amount=-s_amount,
        net=-(s_amount + fee),
        currency=scur,
        source_type="dispute",
        source_id=dispute_id,
        fee_details=[
            {"type": "dispute_fee", "amount": fee, "currency": scur.lower(), "description": "Dispute fee"}
        ]
        if fee
        else [],
        exchange_rate=rate,
        description=description,
    )
    return entry


def ledger_post_dispute_reversal(*, dispute_id: str, description: str = "") -> JournalEntry:
    """A won dispute: the debit is reversed (the fee is kept) and the funds return to available
    (repaying tracked debt first, since debt is what available lacks). Idempotent."""
    key = f"dispute_reversal:{dispute_id}"
    existing = _existing(key)
    if existing is not None:
        return existing
    debit = (
        JournalEntry.objects.filter(idempotency_key=f"dispute_debit:{dispute_id}")
        .select_related("merchant")
        .first()
    )
    if debit is None:
        raise LedgerError(f"No dispute debit posted for {dispute_id}.", code="ledger_dispute_not_debited")
    merchant, livemode = debit.merchant, debit.livemode
    legs: list[tuple[AccountRef, int]] = []
    credit_by_currency: dict[str, int] = {}
    for posting in debit.postings.select_related("account"):
        account = posting.account
        if account.owner == Account.Owner.MERCHANT or account.kind == K.FEES:
            continue
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
    credit_by_currency = {cur: total for cur, total in credit_by_currency.items() if total}
    if len(credit_by_currency) != 1:
        raise LedgerError("Cannot reverse this dispute debit.", code="ledger_dispute_unreversible")
    ((scur, amount),) = credit_by_currency.items()
    state = _lock_state(merchant, livemode, scur)
    available = merchant_balances(merchant, livemode, scur)[K.AVAILABLE]
    legs.append((merchant_ref(merchant, livemode, K.AVAILABLE, scur), amount))
    entry = _post(
        kind=JournalEntry.Kind.DISPUTE_REVERSAL,
        merchant=merchant,
        livemode=livemode,
        legs=legs,
        source_type="dispute",
        source_id=dispute_id,
        idempotency_key=key,
        description=description or f"Dispute {dispute_id} won",
    )
    _set_debt(state, available + amount)
    _txn(
        merchant=merchant,
        livemode=livemode,
        entry=entry,
        type=TX.DISPUTE_REVERSAL,
        amount=amount,
        net=amount,
        currency=scur,
        source_type="dispute",
        source_id=dispute_id,
        description=description,
    )
    return entry


# ---------------------------------------------------------------------------------------------
# settlement: pending → available
# ---------------------------------------------------------------------------------------------


def ledger_settle_due(*, merchant, livemode: bool, currency: str, now: datetime | None = None) -> int:
    """Moves the pending part of every balance transaction whose `available_on` has passed to
    available (capped by the pending balance: refunds may have consumed part of it), marks
    those transactions available and records `balance.available`. Returns the amount moved."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _lock_state(merchant, livemode, currency)
        due = BalanceTransaction.objects.select_for_update().filter(
            merchant=merchant,
            livemode=livemode,
            currency=currency,
            status=BalanceTransaction.Status.PENDING,
            available_on__lte=now,
        )
        due_ids = list(due.values_list("pk", flat=True))
        if not due_ids:
            return 0
        due_total = (
            BalanceTransaction.objects.filter(pk__in=due_ids).aggregate(total=Sum("pending_amount"))["total"]
            or 0
        )
        balances = merchant_balances(merchant, livemode, currency)
        move = min(due_total, max(balances[K.PENDING], 0))
        if move > 0:
            _post(
                kind=JournalEntry.Kind.SETTLEMENT,
                merchant=merchant,
                livemode=livemode,
                legs=[
                    (merchant_ref(merchant, livemode, K.PENDING, currency), -move),
                    (merchant_ref(merchant, livemode, K.AVAILABLE, currency), move),
                ],
                source_type="settlement",
                description=f"{len(due_ids)} transaction(s) became available",
                effective_at=now,
            )
            _set_debt(state, balances[K.AVAILABLE] + move)
        BalanceTransaction.objects.filter(pk__in=due_ids).update(
            status=BalanceTransaction.Status.AVAILABLE, pending_amount=0, updated_at=now
        )
        if move > 0:
            from apps.webhooks.services import event_record

            from .selectors import balance_to_dict

            event_record(
                merchant=merchant,
                livemode=livemode,
                type="balance.available",
                data=balance_to_dict(merchant=merchant, livemode=livemode),
            )
    return move


def ledger_settle_all_due(*, now: datetime | None = None) -> int:
    """The beat task's body: one short transaction per merchant, mode and currency."""
    from apps.merchants.models import Merchant

    now = now or timezone.now()
    groups = (
        BalanceTransaction.objects.filter(status=BalanceTransaction.Status.PENDING, available_on__lte=now)
        .values_list("merchant_id", "livemode", "currency")
        .distinct()
    )
    moved = 0
    for merchant_id, livemode, currency in list(groups):
        merchant = Merchant.objects.get(pk=merchant_id)
        moved += ledger_settle_due(merchant=merchant, livemode=livemode, currency=currency, now=now)
    return moved


# ---------------------------------------------------------------------------------------------
# payouts (called by apps.payouts inside its own transactions)
# ---------------------------------------------------------------------------------------------


def ledger_payout_debit(
    *, merchant, livemode: bool, currency: str, amount: int, payout_id: str, description: str = ""
) -> BalanceTransaction:
    """Moves `amount` from available to payouts in transit. Refuses (balance_insufficient) when
    available does not cover it: the state lock serializes concurrent payouts, so a balance is
    never overdrawn."""
    currency = currency.upper()
    state = _lock_state(merchant, livemode, currency)
    available = merchant_balances(merchant, livemode, currency)[K.AVAILABLE]
    if amount <= 0 or amount > available:
        raise LedgerError(
            f"Insufficient available balance: {max(available, 0)} {currency.lower()} available, "
            f"{amount} requested.",
            code="balance_insufficient",
            param="amount",
        )
    entry = _post(
        kind=JournalEntry.Kind.PAYOUT,
        merchant=merchant,
        livemode=livemode,
        legs=[
            (merchant_ref(merchant, livemode, K.AVAILABLE, currency), -amount),
            (platform_ref(livemode, K.PAYOUTS_IN_TRANSIT, currency), amount),
        ],
        source_type="payout",
        source_id=payout_id,
        idempotency_key=f"payout:{payout_id}",
        description=description or f"Payout {payout_id}",
    )
    _set_debt(state, available - amount)
    return _txn(
        merchant=merchant,
        livemode=livemode,
        entry=entry,
        type=TX.PAYOUT,
        amount=-amount,
        net=-amount,
        currency=currency,
        source_type="payout",
        source_id=payout_id,
        payout_id=payout_id,
        description=description,
    )


def ledger_payout_paid(
    *, merchant, livemode: bool, currency: str, amount: int, payout_id: str
) -> JournalEntry:
    key = f"payout_paid:{payout_id}"
    return _existing(key) or _post(
        kind=JournalEntry.Kind.PAYOUT_PAID,
        merchant=merchant,
        livemode=livemode,
        legs=[
            (platform_ref(livemode, K.PAYOUTS_IN_TRANSIT, currency.upper()), -amount),
            (platform_ref(livemode, K.BANK, currency.upper()), amount),
        ],
        source_type="payout",
        source_id=payout_id,
        idempotency_key=key,
        description=f"Payout {payout_id} paid",
    )


def ledger_payout_return(
    *, merchant, livemode: bool, currency: str, amount: int, payout_id: str, reason: str = "failure"
) -> BalanceTransaction:
    """A failed or canceled payout: the funds go back to available (repaying debt first)."""
    currency = currency.upper()
    key = f"payout_return:{payout_id}"
    existing = _existing(key)
    if existing is not None:
        return BalanceTransaction.objects.get(journal_entry=existing)
    state = _lock_state(merchant, livemode, currency)
    available = merchant_balances(merchant, livemode, currency)[K.AVAILABLE]
    entry = _post(
        kind=JournalEntry.Kind.PAYOUT_RETURN,
        merchant=merchant,
        livemode=livemode,
        legs=[
            (platform_ref(livemode, K.PAYOUTS_IN_TRANSIT, currency), -amount),
            (merchant_ref(merchant, livemode, K.AVAILABLE, currency), amount),
        ],
        source_type="payout",
        source_id=payout_id,
        idempotency_key=key,
        description=f"Payout {payout_id} {'canceled' if reason == 'cancel' else 'failed'}",
    )
    _set_debt(state, available + amount)
    return _txn(
        merchant=merchant,
        livemode=livemode,
        entry=entry,
        type=TX.PAYOUT_CANCEL if reason == "cancel" else TX.PAYOUT_FAILURE,
        amount=amount,
        net=amount,
        currency=currency,
        source_type="payout",
        source_id=payout_id,
        payout_id=payout_id,
    )


def ledger_available_balance(*, merchant, livemode: bool, currency: str) -> int:
    return merchant_balances(merchant, livemode, currency.upper())[K.AVAILABLE]


# ---------------------------------------------------------------------------------------------
# manual adjustments (second approver: apps.approvals kind "balance_adjustment")
# ---------------------------------------------------------------------------------------------


def ledger_adjustment_post(
    *,
    merchant,
    livemode: bool,
    currency: str,
    amount: int,
    reason: str,
    actor: Actor,
    approval_id: str = "",
) -> JournalEntry:
    """A balanced manual adjustment of a merchant's available balance against the platform's
    adjustments account: positive credits the merchant (repaying debt first), negative debits
    it (available, then pending, then tracked debt). Audited. Idempotent per approval id."""
    currency = get_currency(currency).code
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidRequestError(
            "amount must be a non-zero integer.", code="parameter_invalid_integer", param="amount"
        )
    if not (reason or "").strip():
        raise InvalidRequestError("A reason is required.", code="parameter_missing", param="reason")
    key = f"adjustment:{approval_id}" if approval_id else None
    if key and (existing := _existing(key)) is not None:
        return existing
    with transaction.atomic():
        state = _lock_state(merchant, livemode, currency)
        if amount > 0:
            available = merchant_balances(merchant, livemode, currency)[K.AVAILABLE]
            merchant_legs = [(merchant_ref(merchant, livemode, K.AVAILABLE, currency), amount)]
            available_after = available + amount
        else:
            merchant_legs, available_after = _debit_legs(state, merchant, livemode, currency, -amount)
        entry = _post(
            kind=JournalEntry.Kind.ADJUSTMENT,
            merchant=merchant,
            livemode=livemode,
            legs=[*merchant_legs, (platform_ref(livemode, K.ADJUSTMENTS, currency), -amount)],
            source_type="adjustment",
            source_id=approval_id,
            idempotency_key=key,
            description=reason.strip(),
        )
        _set_debt(state, available_after)
        _txn(
            merchant=merchant,
            livemode=livemode,
            entry=entry,
            type=TX.ADJUSTMENT,
            amount=amount,
            net=amount,
            currency=currency,
            source_type="adjustment",
            source_id=entry.public_id,
            description=reason.strip(),
        )
        audit_record(
            actor=actor,
            action="ledger.adjustment_posted",
            merchant=merchant,
            obj=entry,
            after={"amount": amount, "currency": currency, "livemode": livemode, "approval": approval_id},
            reason=reason,
        )
    return entry


def ledger_adjustment_request(
    *, merchant, livemode: bool, currency: str, amount: int, reason: str, actor: Actor, requested_by_user=None
):
    """Asks for a second approver (apps.approvals, kind "balance_adjustment"); once approved its
    executor calls `ledger_adjustment_post(**payload, approval_id=…)`. Returns the request."""
    import importlib.util

    currency = get_currency(currency).code
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidRequestError(
            "amount must be a non-zero integer.", code="parameter_invalid_integer", param="amount"
        )
    if not (reason or "").strip():
        raise InvalidRequestError("A reason is required.", code="parameter_missing", param="reason")
    if importlib.util.find_spec("apps.approvals.services") is None:
        raise LedgerError(
            "Adjustments need the approvals app (second approver).", code="approvals_unavailable"
        )
    from apps.approvals.services import approval_request_create

    with transaction.atomic():
        return approval_request_create(
            kind="balance_adjustment",
            merchant=merchant,
            livemode=livemode,
            target_type="ledger.adjustment",
            target_id=merchant.public_id,
            amount=amount,
            currency=currency,
            reason=reason,
            requested_by=actor,
            requested_by_user=requested_by_user,
            # passed as keyword arguments to ledger_adjustment_post by the approvals executor
            payload={"currency": currency, "amount": amount},
        )


# ---------------------------------------------------------------------------------------------
# snapshots and checks
# ---------------------------------------------------------------------------------------------


def ledger_snapshots_refresh() -> int:
    """Rolls every account's snapshot forward to a posting id below which no transaction can
    still commit: a SHARE lock on the postings table (held for one statement) waits for the
    writers in flight, so every id ≤ the max read under it is committed and later ids are
    larger. Returns the new horizon."""
    with transaction.atomic():
        horizon, _ = SnapshotHorizon.objects.select_for_update().get_or_create(pk=1)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
                cursor.execute(f"LOCK TABLE {Posting._meta.db_table} IN SHARE MODE")
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Posting._meta.db_table}")  # noqa: S608
                upto = cursor.fetchone()[0]
        else:
            upto = Posting.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if upto <= horizon.upto_posting_id:
        return horizon.upto_posting_id
    with transaction.atomic():
        horizon = SnapshotHorizon.objects.select_for_update().get(pk=1)
        if upto <= horizon.upto_posting_id:
            return horizon.upto_posting_id
        sums = list(
            Posting.objects.filter(id__gt=horizon.upto_posting_id, id__lte=upto)
            .order_by()
            .values("account_id")
            .annotate(total=Sum("amount"))
        )
        existing = {
            s.account_id: s
            for s in BalanceSnapshot.objects.select_for_update().filter(
                account_id__in=[r["account_id"] for r in sums]
            )
        }
        create, update = [], []
        for row in sums:
            snap = existing.get(row["account_id"])
            if snap is None:
                create.append(
                    BalanceSnapshot(account_id=row["account_id"], upto_posting_id=upto, balance=row["total"])
                )
            else:
                snap.balance += row["total"]
                update.append(snap)
        BalanceSnapshot.objects.bulk_create(create)
        for snap in update:
            snap.upto_posting_id = upto
        BalanceSnapshot.objects.bulk_update(
            update, ["balance", "upto_posting_id", "updated_at"], batch_size=1000
        )
        # Accounts without new postings keep their old mark: nothing lies between it and `upto`.
        horizon.upto_posting_id = upto
        horizon.save()
    return upto


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
    for snap in BalanceSnapshot.objects.all():
        actual = (
            Posting.objects.filter(account_id=snap.account_id, id__lte=snap.upto_posting_id).aggregate(
                t=Sum("amount")
            )["t"]
            or 0
        )
        if actual != snap.balance:
            problems.append(f"snapshot of account {snap.account_id} is {snap.balance}, postings say {actual}")
    for state in MerchantBalanceState.objects.select_related("merchant"):
        available = merchant_balances(state.merchant, state.livemode, state.currency)[K.AVAILABLE]
        if state.debt != max(0, -available):
            problems.append(
                f"debt of {state.merchant_id}/{state.currency} is {state.debt}, available {available}"
            )
    for account in Account.objects.filter(kind=K.AVAILABLE):
        state = MerchantBalanceState.objects.filter(
            merchant_id=account.merchant_id, livemode=account.livemode, currency=account.currency
        ).first()
        balance = balances_by_key([account.key])[account.key]
        if balance < 0 and (state is None or state.debt != -balance):
            problems.append(f"available of {account.key} is {balance} without tracked debt")
    return problems
