"""Verified bank/acquirer events about payouts (registered with apps.connectors.inbound in
PayoutsConfig): a `payout.failed` returns the funds to the balance through payout_mark_failed."""

from __future__ import annotations

from django.db.models import Q

from apps.audit.services import Actor

from ..errors import PayoutCannotFail
from ..models import Payout
from .lifecycle import payout_mark_failed


def payout_apply_inbound_event(*, connector, event) -> str:
    """``applied``, ``ignored`` (not open any more, or a type we do not act on) or
    ``unknown_reference``. The payout is the connector merchant's, found by the bank's reference
    (or our id while it has none)."""
    if event.type != "payout.failed":
        return f"ignored:unhandled_type:{event.type}"
    reference = event.gateway_reference
    payout = (
        Payout.objects.filter(merchant_id=connector.merchant_id, livemode=connector.livemode)
        .filter(Q(bank_reference=reference) | Q(public_id=reference))
        .exclude(bank_reference="", public_id="")
        .order_by("-id")
        .first()
    )
    if payout is None or not reference:
        return "unknown_reference"
    data = event.data or {}
    try:
        payout_mark_failed(
            payout=payout,
            actor=Actor.system(f"connector:{connector.code}"),
            reason=str(data.get("message") or "The bank returned the payout.")[:500],
            failure_code=str(data.get("failure_code") or "could_not_process")[:64],
        )
    except PayoutCannotFail:
        return "ignored"
    return "applied"
