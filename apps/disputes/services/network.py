"""Network events (inbound connector webhooks): create, advance, stale, flip."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.intents.locks import charge_lock, payment_intent_lock
from apps.intents.selectors import charges_by_gateway_reference

from ..deadlines import response_window
from ..models import Dispute
from ..transitions import ALLOWED, TERMINAL, assert_transition
from .common import S, _event
from .money import _settle_money, _withdraw


def _target_status(event_type: str, data: dict, *, inquiry: bool, current: str | None) -> str | None:
    raw = str(data.get("status") or "")
    if event_type.endswith(".closed"):
        if inquiry:
            return S.WARNING_CLOSED
        return raw if raw in (S.WON, S.LOST, S.PREVENTED) else S.LOST
    if raw in S.values:
        return raw
    if event_type.endswith(".created"):
        return S.WARNING_NEEDS_RESPONSE if inquiry else S.NEEDS_RESPONSE
    return current


def _due_by(data: dict, occurred_at: dt.datetime, *, network: str, inquiry: bool) -> dt.datetime:
    """The event's own due date, else the network's window (apps/disputes/deadlines.py)."""
    raw = data.get("evidence_due_by") or (data.get("evidence_details") or {}).get("due_by")
    if raw:
        try:
            return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            pass
    return occurred_at + response_window(network, inquiry=inquiry)


def dispute_apply_inbound_event(*, connector, event) -> str:
    """A verified network event about a dispute (charge.dispute.created / updated / closed).

    Out of order and repeated: a `closed` before `created` creates the dispute in its final state;
    an event that changes nothing is ignored; a non-terminal event after a terminal one is
    audited as stale and ignored; a terminal flip (won ↔ lost) is applied with its ledger entries
    and an audit entry that shows the flip."""
    if event.type not in ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"):
        return f"ignored:unhandled_type:{event.type}"
    data = dict(event.data or {})
    dispute_ref = str(data.get("dispute") or data.get("id") or "")
    if not dispute_ref:
        return "ignored:no_dispute_id"
    charge_row = (
        charges_by_gateway_reference(event.gateway_reference)
        .filter(connector=connector)
        .values("pk", "payment_intent_id")
        .order_by("-id")
        .first()
    )
    if charge_row is None:
        return "unknown_reference"
    if event.amount is not None and (not isinstance(event.amount, int) or event.amount <= 0):
        return "ignored:invalid_amount"
    actor = Actor.system(f"connector:{connector.code}")
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(charge_row["payment_intent_id"])
        charge = charge_lock(charge_row["pk"], intent)
        dispute = (
            Dispute.objects.select_for_update()
            .filter(connector=connector, connector_dispute_id=dispute_ref)
            .first()
        )
        if dispute is None:
            return _create_from_event(charge, intent, dispute_ref, event, data, actor)
        dispute.charge, dispute.payment_intent = charge, intent
        return _apply_to_existing(dispute, event, data, actor)


def _create_from_event(charge, intent, dispute_ref: str, event, data: dict, actor: Actor) -> str:
    inquiry = str(data.get("case_type", "")) == Dispute.CaseType.INQUIRY or str(
        data.get("status", "")
    ).startswith("warning_")
    status = _target_status(event.type, data, inquiry=inquiry, current=None)
    reason = str(data.get("reason") or "")
    details = charge.payment_method_details or {}
    card = details.get("card") if isinstance(details.get("card"), dict) else {}
    network = str(card.get("brand") or details.get("brand") or "")[:16].lower()
    dispute = Dispute(
        merchant=charge.merchant,
        livemode=charge.livemode,
        payment_intent=intent,
        charge=charge,
        connector=charge.connector,
        connector_dispute_id=dispute_ref,
        amount=int(event.amount or charge.amount_captured or charge.amount),
        currency=(event.currency or charge.currency).upper(),
        status=status,
        reason=reason if reason in Dispute.Reason.values else Dispute.Reason.GENERAL,
        case_type=Dispute.CaseType.INQUIRY if inquiry else Dispute.CaseType.CHARGEBACK,
        network_reason_code=str(data.get("network_reason_code") or "")[:16],
        connector_status=str(data.get("status") or "")[:64],
        connector_reason=reason[:64],
        network=network,
        due_by=_due_by(data, event.occurred_at, network=network, inquiry=inquiry),
        is_charge_refundable=inquiry and charge.amount_refunded < charge.amount_captured,
        network_created_at=event.occurred_at,
        closed_at=timezone.now() if status in TERMINAL else None,
    )
    dispute.save()
    audit_record(
        actor=actor, action="dispute.created", merchant=dispute.merchant, obj=dispute,
        after={"status": status, "amount": dispute.amount, "currency": dispute.currency,
               "reason": dispute.reason, "charge": charge.public_id, "event": event.provider_event_id},
    )  # fmt: skip
    _event(dispute, "charge.dispute.created")
    if not dispute.is_inquiry:
        _withdraw(dispute)  # every chargeback was withdrawn once, even one first seen closed
    if status in TERMINAL:
        _settle_money(dispute)
        _event(dispute, "charge.dispute.closed")
    return "applied"


def _apply_to_existing(dispute: Dispute, event, data: dict, actor: Actor) -> str:
    current = dispute.status
    target = _target_status(event.type, data, inquiry=dispute.is_inquiry, current=current)
    if target is None or target == current:
        return "ignored:no_change"
    flip = current in (S.WON, S.LOST) and target in (S.WON, S.LOST)
    if target not in ALLOWED[current]:
        audit_record(
            actor=actor, action="dispute.stale_event", merchant=dispute.merchant, obj=dispute,
            before={"status": current}, after={"event_status": target, "event": event.provider_event_id,
                                               "event_type": event.type},
        )  # fmt: skip
        return "ignored:stale"
    assert_transition(dispute, target)
    previous = {"status": current}
    dispute.status = target
    dispute.connector_status = str(data.get("status") or "")[:64]
    if dispute.is_inquiry and not target.startswith("warning_"):  # the issuer escalated it
        dispute.case_type = Dispute.CaseType.CHARGEBACK
        dispute.is_charge_refundable = False
    if target in TERMINAL and dispute.closed_at is None:
        dispute.closed_at = timezone.now()
    dispute.save()
    audit_record(
        actor=actor, action="dispute.flipped" if flip else "dispute.status_changed", merchant=dispute.merchant,
        obj=dispute, before=previous, after={"status": target, "event": event.provider_event_id},
    )  # fmt: skip
    _settle_money(dispute)
    _event(dispute, "charge.dispute.closed" if target in TERMINAL else "charge.dispute.updated", previous)
    return "applied"
