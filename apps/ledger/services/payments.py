"""The ledger side of the payment lifecycle: intents and refunds call these inside their
capture / refund-succeeded transactions, with their own objects."""

from __future__ import annotations

from ..models import CaptureRecord
from ..payloads import capture_fx_payload
from ..splits import canonical_account_type
from .captures import CaptureRows, ledger_capture_rows, ledger_post_capture
from .refunds import ledger_post_refund


def ledger_record_capture(
    *,
    charge,
    persist: bool = True,
    settlement_delay_days: int | None = None,
    first_capture: bool = False,
) -> None:
    """Posts the capture of `charge` (its `amount_captured`), then fills the charge's
    `application_fee_amount`, `fee_details`, `fx` and the intent's split amounts.

    `persist=False`: only set those attributes; the caller saves the charge and the intent
    afterwards in the same transaction (one UPDATE each instead of two).
    `settlement_delay_days`: the merchant's setting when the caller already read it.
    `first_capture=True`: the caller holds the charge row lock and is moving it to succeeded, so
    no capture can have been posted yet; the idempotency pre-check is skipped (the unique
    `CaptureRecord.charge_id` and `JournalEntry.idempotency_key` still refuse a double posting)."""
    intent = charge.payment_intent
    result = ledger_post_capture(
        merchant=charge.merchant,
        livemode=charge.livemode,
        charge_id=charge.public_id,
        amount=charge.amount_captured or charge.amount,
        currency=charge.currency,
        connector_code=charge.connector.code,
        payment_method_type=charge.payment_method_type or "card",
        split=_split_clean(intent.split),
        payment_intent_id=intent.public_id,
        captured_at=charge.captured_at,
        settlement_delay_days=settlement_delay_days,
        check_existing=not first_capture,
    )
    charge.application_fee_amount = result.application_fee_amount
    charge.fee_details = result.fee_details or (
        result.balance_transaction.fee_details if result.balance_transaction else []
    )
    charge.fx = capture_fx_payload(result.record)
    if persist:
        type(charge).objects.filter(pk=charge.pk).update(
            application_fee_amount=charge.application_fee_amount, fee_details=charge.fee_details, fx=charge.fx
        )
    if result.split:
        intent.split = result.split
        if persist:
            type(intent).objects.filter(pk=intent.pk).update(split=result.split)


def ledger_capture_prepare(*, charge, settlement_delay_days: int, debt: int | None) -> CaptureRows | None:
    """`ledger_record_capture(persist=False, first_capture=True)` for a caller that inserts the
    rows itself with the rest of its transaction (apps/ledger/sql.py): the same charge and
    intent fields are set, the rows come back unsaved. `debt`: the merchant's tracked debt in the
    settlement currency, read by the caller in this transaction (`sql.merchant_debt_sql`); with
    debt, None (the caller runs `ledger_record_capture`, which repays it under the lock)."""
    if debt:
        return None
    intent = charge.payment_intent
    rows = ledger_capture_rows(
        merchant=charge.merchant,
        livemode=charge.livemode,
        charge_id=charge.public_id,
        amount=charge.amount_captured or charge.amount,
        currency=charge.currency,
        connector_code=charge.connector.code,
        payment_method_type=charge.payment_method_type or "card",
        split=_split_clean(intent.split),
        payment_intent_id=intent.public_id,
        captured_at=charge.captured_at,
        settlement_delay_days=settlement_delay_days,
    )
    charge.application_fee_amount = rows.record.fee
    charge.fee_details = rows.fee_details
    charge.fx = capture_fx_payload(rows.record)
    if rows.split:
        intent.split = rows.split
    return rows


def _split_clean(split) -> list[dict] | None:
    if not split:
        return None
    return [
        {
            "account_type": canonical_account_type(entry.get("account_type")),
            "account_id": str(entry.get("account_id")),
            "percentage_bp": int(entry.get("percentage_bp")),
        }
        for entry in split
    ]


def ledger_record_refund(*, refund) -> None:
    """Posts a succeeded refund. A capture the ledger never saw (captured before the ledger
    existed) is posted first, so the books stay complete."""
    charge = refund.charge
    if not CaptureRecord.objects.filter(charge_id=charge.public_id).exists():
        ledger_record_capture(charge=charge)
    ledger_post_refund(
        refund_id=refund.public_id,
        charge_id=charge.public_id,
        amount=refund.amount,
        refunded_at=refund.succeeded_at,
    )
