"""The ledger side of a dispute: withdraw, reinstate, and follow the status (rounds on flips)."""

from __future__ import annotations

from apps.ledger.models import CaptureRecord
from apps.ledger.services import ledger_post_dispute_debit, ledger_post_dispute_reversal

from ..fees import dispute_fee, fee_refunded_on_win
from ..models import Dispute
from .common import S, _event


def _fee_for(dispute: Dispute) -> int:
    """The merchant's dispute fee in the currency the dispute settles in (apps/disputes/fees.py)."""
    record = CaptureRecord.objects.filter(charge_id=dispute.charge.public_id).first()
    currency = dispute.currency.upper()
    if record is not None and record.fx_status == CaptureRecord.FxStatus.CONVERTED:
        currency = record.settlement_currency.upper()
    return dispute_fee(dispute.merchant, currency)


def _withdraw(dispute: Dispute) -> None:
    """Takes the disputed amount out of the balance, with the fee on the first round (and again
    on a later round when the win before it refunded the fee)."""
    if dispute.is_inquiry or dispute.funds_withdrawn:
        return
    charge_fee = dispute.ledger_round == 0 or dispute.fee_refunded
    ledger_post_dispute_debit(
        merchant=dispute.merchant,
        livemode=dispute.livemode,
        dispute_id=dispute.ledger_key(),
        amount=dispute.amount,
        currency=dispute.currency,
        connector_code=dispute.charge.connector.code,
        charge_id=dispute.charge.public_id,
        fee=_fee_for(dispute) if charge_fee else 0,
        description=f"Dispute {dispute.public_id}",
    )
    dispute.funds_withdrawn = True
    dispute.fee_refunded = False
    dispute.save(update_fields=["funds_withdrawn", "fee_refunded", "ledger_round", "updated_at"])
    _event(dispute, "charge.dispute.funds_withdrawn")


def _reinstate(dispute: Dispute) -> None:
    if not dispute.funds_withdrawn:
        return
    # The fee still charged is the latest round's that charged one, unless a win refunded it
    # since (then the round after it charged a new one): at most one fee is outstanding.
    fee_round = None if dispute.fee_refunded else _fee_round(dispute)
    refund_fee = fee_round is not None and fee_refunded_on_win(dispute.merchant)
    ledger_post_dispute_reversal(
        dispute_id=dispute.ledger_key(),
        description=f"Dispute {dispute.public_id} won",
        include_fee=refund_fee,
        fee_of=dispute.ledger_key(fee_round) if refund_fee else "",
    )
    dispute.funds_withdrawn = False
    dispute.fee_refunded = refund_fee
    dispute.save(update_fields=["funds_withdrawn", "fee_refunded", "updated_at"])
    _event(dispute, "charge.dispute.funds_reinstated")


def _settle_money(dispute: Dispute) -> None:
    """The ledger follows the status: won → reinstated; lost or open → withdrawn."""
    if dispute.is_inquiry:
        return
    if dispute.status == S.WON:
        _reinstate(dispute)
    elif not dispute.funds_withdrawn:
        if dispute.ledger_round > 0 or _round_used(dispute):
            dispute.ledger_round += 1
        _withdraw(dispute)


def _fee_round(dispute: Dispute) -> int | None:
    """The latest withdrawal round (up to the current one) whose debit charged the dispute fee."""
    from apps.ledger.models import Posting

    keys = {f"dispute_debit:{dispute.ledger_key(n)}": n for n in range(dispute.ledger_round + 1)}
    charged = Posting.objects.filter(entry__idempotency_key__in=list(keys), account__kind="fees").values_list(
        "entry__idempotency_key", flat=True
    )
    rounds = [keys[key] for key in charged]
    return max(rounds) if rounds else None


def _round_used(dispute: Dispute) -> bool:
    """Whether the current ledger round already withdrew (and reinstated) once."""
    from apps.ledger.models import JournalEntry

    return JournalEntry.objects.filter(idempotency_key=f"dispute_debit:{dispute.ledger_key()}").exists()
