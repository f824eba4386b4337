"""Manual balance adjustments: requested by finance, posted once a second approver agrees
(apps.approvals kind "balance_adjustment")."""

from __future__ import annotations

from django.db import transaction

from apps.approvals.services import approval_request_create
from apps.audit.services import Actor, audit_record
from apps.core.currencies import get_currency
from apps.core.ids import generate_id
from apps.core.limits import BIGINT_MAX

from ..accounts import platform_ref
from ..errors import ParameterInvalidInteger, ReasonMissing
from ..models import Account, BalanceTransaction, JournalEntry
from .booking import BalanceLine, _book, _entry_existing


def _adjustment_validate(*, currency: str, amount: int, reason: str) -> str:
    """The currency's code, once amount and reason are acceptable."""
    currency = get_currency(currency).code
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ParameterInvalidInteger("amount must be a non-zero integer.", param="amount")
    if not -BIGINT_MAX <= amount <= BIGINT_MAX:
        raise ParameterInvalidInteger("amount is out of range.", param="amount")
    if not (reason or "").strip():
        raise ReasonMissing()
    return currency


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
    currency = _adjustment_validate(currency=currency, amount=amount, reason=reason)
    key = f"adjustment:{approval_id}" if approval_id else None
    if key and (existing := _entry_existing(key)) is not None:
        return existing
    entry_id = generate_id(JournalEntry.ID_PREFIX)
    with transaction.atomic():
        entry = _book(
            kind=JournalEntry.Kind.ADJUSTMENT,
            merchant=merchant,
            livemode=livemode,
            currency=currency,
            merchant_amount=amount,
            legs=[(platform_ref(livemode, Account.Kind.ADJUSTMENTS, currency), -amount)],
            source_type="adjustment",
            source_id=approval_id,
            idempotency_key=key,
            description=reason.strip(),
            public_id=entry_id,
            line=BalanceLine(
                type=BalanceTransaction.Type.ADJUSTMENT,
                amount=amount,
                net=amount,
                description=reason.strip(),
                source_id=entry_id,
            ),
        ).entry
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
    currency = _adjustment_validate(currency=currency, amount=amount, reason=reason)
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
