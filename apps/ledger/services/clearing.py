"""Connector clearing corrections: what reconciliation accepts as the acquirer's figure. The
difference between what a connector owes and what it settled moves from the clearing account to
the platform's adjustments (a write-off) or fees account; no merchant balance changes."""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import Actor, audit_record
from apps.core.currencies import get_currency

from ..accounts import clearing_ref, platform_ref
from ..errors import ParameterInvalidInteger, ReasonMissing
from ..models import Account, JournalEntry
from .booking import _entry_existing, _post

COUNTERPARTS = {"adjustments": Account.Kind.ADJUSTMENTS, "fees": Account.Kind.FEES}


def ledger_post_clearing_difference(
    *,
    livemode: bool,
    connector_code: str,
    currency: str,
    difference: int,
    counterpart: str,
    reason: str,
    actor: Actor,
    idempotency_key: str,
    merchant=None,
    source_id: str = "",
) -> JournalEntry:
    """`difference` is the acquirer's figure minus ours (negative: it settled less). The clearing
    account takes -difference, the counterpart (`adjustments` or `fees`) +difference: balanced.
    Idempotent per key; audited."""
    currency = get_currency(currency).code
    if isinstance(difference, bool) or not isinstance(difference, int) or difference == 0:
        raise ParameterInvalidInteger("difference must be a non-zero integer.", param="amount")
    if not (reason or "").strip():
        raise ReasonMissing()
    key = f"clearing:{idempotency_key}"
    if (existing := _entry_existing(key)) is not None:
        return existing
    with transaction.atomic():
        entry = _post(
            kind=JournalEntry.Kind.ADJUSTMENT,
            merchant=merchant,
            livemode=livemode,
            legs=[
                (clearing_ref(livemode, connector_code, currency), -difference),
                (platform_ref(livemode, COUNTERPARTS[counterpart], currency), difference),
            ],
            source_type="reconciliation",
            source_id=source_id,
            idempotency_key=key,
            description=reason.strip(),
        )
        audit_record(actor=actor, action="ledger.clearing_difference_posted", merchant=merchant, obj=entry,
                     after={"difference": difference, "currency": currency, "counterpart": counterpart,
                            "connector": connector_code},
                     reason=reason)  # fmt: skip
    return entry
