"""Every write to disputes: network events (inbound connector webhooks), the merchant's evidence
and acceptance, and the deadline job.

Locks in the house order (apps.intents.locks): intent, charge, then the dispute. A dispute is
created under its charge's lock and is unique per (connector, connector dispute id), so a replay
or a concurrent duplicate of the network's event finds the row and changes nothing.

Money: a chargeback (not an inquiry) withdraws the disputed amount and the dispute fee through
the ledger when the dispute is created; won reinstates the amount (the fee is kept, as Stripe
does); lost changes nothing more. A network flip after close is applied: won → lost withdraws
again under a new ledger round (no second fee), lost → won reinstates the current round. The
ledger's idempotency keys (dispute_debit:<key>, dispute_reversal:<key>) make each exactly-once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Declined, RetryableError
from apps.core.errors import NotFoundError
from apps.intents.locks import charge_lock, payment_intent_lock
from apps.intents.models import Charge
from apps.ledger.models import CaptureRecord
from apps.ledger.services import ledger_post_dispute_debit, ledger_post_dispute_reversal
from apps.webhooks.services import event_record

from .errors import (
    DisputeAlreadyClosed,
    DisputeAlreadySubmitted,
    DisputeEvidenceFieldUnknown,
    DisputeEvidenceFileUnsupported,
    DisputeEvidencePastDue,
    DisputeEvidenceTooLong,
    DisputeEvidenceValueInvalid,
    DisputeSubmissionRefused,
    DisputeSubmissionUnavailable,
)
from .models import EVIDENCE_FILE_FIELDS, EVIDENCE_TEXT_FIELDS, Dispute
from .payloads import dispute_to_dict
from .transitions import ALLOWED, AWAITING_RESPONSE, TERMINAL, assert_transition

S = Dispute.Status

# Stripe's dispute fee is 15.00 USD; the same figure in minor units of the settlement currency
# where Stripe charges a like amount. Other currencies: no fee until the merchant setting exists.
DISPUTE_FEES = {"USD": 1500, "EUR": 1500, "GBP": 1500, "CAD": 1500, "AUD": 1500, "CHF": 1500}

# How long the merchant has to respond when the network's event carries no due date. Stripe
# documents 7 to 21 days depending on the network; the per-network table is still to come.
DEFAULT_RESPONSE_WINDOW = dt.timedelta(days=7)

# Stripe's limit on the combined text of a dispute's evidence.
EVIDENCE_TEXT_LIMIT = 150_000


def _event(dispute: Dispute, type_: str, previous: dict | None = None) -> None:
    event_record(
        merchant=dispute.merchant,
        livemode=dispute.livemode,
        type=type_,
        data=dispute_to_dict(dispute),
        previous_attributes=previous,
    )


def _lock_all(dispute_pk: int) -> Dispute:
    ids = Dispute.objects.filter(pk=dispute_pk).values("payment_intent_id", "charge_id").first()
    if ids is None:
        raise NotFoundError("dispute", str(dispute_pk))
    intent = payment_intent_lock(ids["payment_intent_id"])
    charge = charge_lock(ids["charge_id"], intent)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_pk)
    dispute.payment_intent = intent
    dispute.charge = charge
    return dispute


# ---------------------------------------------------------------------------------------------
# money
# ---------------------------------------------------------------------------------------------


def _fee_for(dispute: Dispute) -> int:
    record = CaptureRecord.objects.filter(charge_id=dispute.charge.public_id).first()
    currency = dispute.currency.upper()
    if record is not None and record.fx_status == CaptureRecord.FxStatus.CONVERTED:
        currency = record.settlement_currency.upper()
    return DISPUTE_FEES.get(currency, 0)


def _withdraw(dispute: Dispute) -> None:
    """Takes the disputed amount (and, on the first round, the fee) out of the balance."""
    if dispute.is_inquiry or dispute.funds_withdrawn:
        return
    ledger_post_dispute_debit(
        merchant=dispute.merchant,
        livemode=dispute.livemode,
        dispute_id=dispute.ledger_key(),
        amount=dispute.amount,
        currency=dispute.currency,
        connector_code=dispute.charge.connector.code,
        charge_id=dispute.charge.public_id,
        fee=_fee_for(dispute) if dispute.ledger_round == 0 else 0,
        description=f"Dispute {dispute.public_id}",
    )
    dispute.funds_withdrawn = True
    dispute.save(update_fields=["funds_withdrawn", "ledger_round", "updated_at"])
    _event(dispute, "charge.dispute.funds_withdrawn")


def _reinstate(dispute: Dispute) -> None:
    if not dispute.funds_withdrawn:
        return
    ledger_post_dispute_reversal(
        dispute_id=dispute.ledger_key(), description=f"Dispute {dispute.public_id} won"
    )
    dispute.funds_withdrawn = False
    dispute.save(update_fields=["funds_withdrawn", "updated_at"])
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


def _round_used(dispute: Dispute) -> bool:
    """Whether the current ledger round already withdrew (and reinstated) once."""
    from apps.ledger.models import JournalEntry

    return JournalEntry.objects.filter(idempotency_key=f"dispute_debit:{dispute.ledger_key()}").exists()


# ---------------------------------------------------------------------------------------------
# network events
# ---------------------------------------------------------------------------------------------


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


def _due_by(data: dict, occurred_at: dt.datetime) -> dt.datetime:
    raw = data.get("evidence_due_by") or (data.get("evidence_details") or {}).get("due_by")
    if raw:
        try:
            return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
        except (TypeError, ValueError):
            pass
    return occurred_at + DEFAULT_RESPONSE_WINDOW


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
        Charge.objects.filter(connector=connector, gateway_reference=event.gateway_reference)
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
        due_by=_due_by(data, event.occurred_at),
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


# ---------------------------------------------------------------------------------------------
# the merchant: evidence, submission, acceptance
# ---------------------------------------------------------------------------------------------


def _clean_evidence(evidence: dict) -> dict:
    clean = {}
    for name, value in evidence.items():
        if name in EVIDENCE_FILE_FIELDS:
            raise DisputeEvidenceFileUnsupported(field=name, param=f"evidence[{name}]")
        if name not in EVIDENCE_TEXT_FIELDS:
            raise DisputeEvidenceFieldUnknown(field=name, param=f"evidence[{name}]")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DisputeEvidenceValueInvalid(field=name, param=f"evidence[{name}]")
        clean[name] = value
    return clean


def _merged_evidence(dispute: Dispute, staged: dict) -> dict:
    """The evidence after staging `staged`, if the dispute still takes evidence."""
    if dispute.status in TERMINAL:
        raise DisputeAlreadyClosed(dispute_status=dispute.status)
    if dispute.submission_count or dispute.status not in AWAITING_RESPONSE:
        raise DisputeAlreadySubmitted()
    if dispute.past_due or (dispute.due_by and dispute.due_by <= timezone.now()):
        raise DisputeEvidencePastDue()
    merged = {**(dispute.evidence or {}), **staged}
    length = sum(len(v) for v in merged.values() if isinstance(v, str))
    if length > EVIDENCE_TEXT_LIMIT:
        raise DisputeEvidenceTooLong(length=length, limit=EVIDENCE_TEXT_LIMIT)
    return merged


def _send_evidence(dispute: Dispute, staged: dict) -> None:
    """Step before the lock: the connector takes the evidence (idempotent per dispute, so a
    retry or a concurrent submit sends it once); a refusal records nothing."""
    merged = _merged_evidence(dispute, staged)
    result = gateway.submit_dispute_evidence(
        connector=dispute.connector,
        idempotency_key=f"{dispute.public_id}:evidence",
        dispute_reference=dispute.connector_dispute_id,
        evidence={name: value for name, value in merged.items() if value},
    )
    if isinstance(result, Declined):
        raise DisputeSubmissionRefused(detail=result.message or result.code)
    if isinstance(result, RetryableError):
        raise DisputeSubmissionUnavailable()


def dispute_update(
    *, dispute_id: int, actor: Actor, evidence: dict | None = None, metadata: dict | None = None,
    submit: bool = True,
) -> Dispute:  # fmt: skip
    """Stripe's POST /v1/disputes/{id}: the evidence fields sent replace those staged (the
    others stay); `submit=true` (the default) sends the evidence to the connector — once."""
    staged = _clean_evidence(evidence or {})
    if submit:
        _send_evidence(Dispute.objects.select_related("connector").get(pk=dispute_id), staged)
    with transaction.atomic(durable=True):
        dispute = _lock_all(dispute_id)
        previous: dict = {}
        if staged or submit:
            merged = _merged_evidence(dispute, staged)
            if staged:
                previous["evidence"] = dispute.evidence
                dispute.evidence = merged
        if metadata is not None:
            previous["metadata"] = dispute.metadata
            dispute.metadata = metadata
        if submit:
            target = S.WARNING_UNDER_REVIEW if dispute.is_inquiry else S.UNDER_REVIEW
            assert_transition(dispute, target)
            previous["status"] = dispute.status
            dispute.status = target
            dispute.submission_count = 1
            dispute.submitted_at = timezone.now()
        dispute.save()
        audit_record(
            actor=actor, action="dispute.evidence_submitted" if submit else "dispute.update",
            merchant=dispute.merchant, obj=dispute, before=previous,
            after={"evidence_fields": sorted(staged), "status": dispute.status, "metadata": dispute.metadata},
        )  # fmt: skip
        _event(dispute, "charge.dispute.updated", previous)
    return dispute


def dispute_close(*, dispute_id: int, actor: Actor) -> Dispute:
    """The merchant accepts the dispute: it is lost (irreversible; the funds stay withdrawn)."""
    with transaction.atomic(durable=True):
        dispute = _lock_all(dispute_id)
        if dispute.status in TERMINAL:
            raise DisputeAlreadyClosed(dispute_status=dispute.status)
        target = S.WARNING_CLOSED if dispute.is_inquiry else S.LOST
        if target not in ALLOWED[dispute.status]:
            raise DisputeAlreadySubmitted()
        previous = {"status": dispute.status}
        dispute.status = target
        dispute.closed_at = timezone.now()
        dispute.save()
        audit_record(
            actor=actor, action="dispute.accepted", merchant=dispute.merchant, obj=dispute,
            before=previous, after={"status": target},
        )  # fmt: skip
        _settle_money(dispute)
        _event(dispute, "charge.dispute.closed", previous)
    return dispute


# ---------------------------------------------------------------------------------------------
# deadlines
# ---------------------------------------------------------------------------------------------


REMINDERS = (
    ("reminded_5d_at", dt.timedelta(days=5), "5d"),
    ("reminded_24h_at", dt.timedelta(hours=24), "24h"),
)


def disputes_run_deadlines(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Disputes still awaiting a response: a `charge.dispute.deadline_reminder` event at T-5 days
    and at T-24 hours (each once), and at `due_by` with nothing submitted `past_due` is set and the
    dispute closes as lost (`charge.dispute.closed`; the funds stay withdrawn). Each step is
    recorded under the row lock with its event, so double runs and restarts change nothing."""
    now = now or timezone.now()
    horizon = now + REMINDERS[0][1]
    pks = list(
        Dispute.objects.filter(status__in=AWAITING_RESPONSE, past_due=False, due_by__lte=horizon)
        .order_by("due_by")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    actor = Actor.system("dispute_deadlines")
    for pk in pks:
        with transaction.atomic(durable=True):
            dispute = _lock_all(pk)
            if dispute.past_due or dispute.status not in AWAITING_RESPONSE or dispute.due_by is None:
                continue
            if dispute.due_by <= now:
                _expire(dispute, actor)
                done += 1
                continue
            due = [(field, label) for field, before, label in REMINDERS if dispute.due_by - before <= now]
            if due and getattr(dispute, due[-1][0]) is None:
                # The nearest reminder due; an earlier one not sent yet is moot and marked done.
                label = due[-1][1]
                for earlier, _label in due:
                    if getattr(dispute, earlier) is None:
                        setattr(dispute, earlier, now)
                dispute.save(update_fields=[f for f, _b, _l in REMINDERS] + ["updated_at"])
                audit_record(
                    actor=actor, action="dispute.deadline_reminder", merchant=dispute.merchant, obj=dispute,
                    after={"reminder": label, "due_by": dispute.due_by.isoformat()},
                )  # fmt: skip
                _event(dispute, "charge.dispute.deadline_reminder")
                done += 1
    return done


def _expire(dispute: Dispute, actor: Actor) -> None:
    previous = {"status": dispute.status, "evidence_details": {"past_due": False}}
    target = S.WARNING_CLOSED if dispute.is_inquiry else S.LOST
    assert_transition(dispute, target)
    dispute.past_due = True
    dispute.status = target
    dispute.closed_at = timezone.now()
    dispute.save()
    audit_record(
        actor=actor, action="dispute.past_due", merchant=dispute.merchant, obj=dispute,
        before={"status": previous["status"], "past_due": False},
        after={"status": target, "past_due": True, "due_by": dispute.due_by.isoformat()},
    )  # fmt: skip
    _settle_money(dispute)
    _event(dispute, "charge.dispute.closed", previous)
