"""The deadline job: reminders at T-5 days and T-24 hours, and the automatic loss at due_by."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.clock import ClockScope, clock_filter

from ..models import Dispute
from ..transitions import AWAITING_RESPONSE, assert_transition
from .common import S, _event, _lock_all
from .money import _settle_money

REMINDERS = (
    ("reminded_5d_at", dt.timedelta(days=5), "5d"),
    ("reminded_24h_at", dt.timedelta(hours=24), "24h"),
)


def disputes_run_deadlines(
    *, now: dt.datetime | None = None, limit: int = 500, scope: ClockScope | None = None
) -> int:
    """Disputes still awaiting a response: a `charge.dispute.deadline_reminder` event at T-5 days
    and at T-24 hours (each once), and at `due_by` with nothing submitted `past_due` is set and the
    dispute closes as lost (`charge.dispute.closed`; the funds stay withdrawn). Each step is
    recorded under the row lock with its event, so double runs and restarts change nothing.
    With a test clock's ``scope``, only that clock's disputes (apps.core.clock); without, every
    dispute but those that run on a clock."""
    now = now or timezone.now()
    horizon = now + REMINDERS[0][1]
    due = Dispute.objects.filter(status__in=AWAITING_RESPONSE, past_due=False, due_by__lte=horizon)
    pks = list(clock_filter(due, scope=scope).order_by("due_by").values_list("pk", flat=True)[:limit])
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
