"""The deadline job (beat task disputes.run_deadlines), with time-machine: reminders at T-5 days
and T-24 hours once each, and at `due_by` with nothing submitted past_due and closed as lost."""

import datetime as dt

import pytest
import time_machine

from apps.audit.models import AuditEntry
from apps.disputes.models import Dispute
from apps.disputes.tasks import run_deadlines_task
from apps.webhooks.models import Event

pytestmark = pytest.mark.django_db


def _events(dispute, type_) -> int:
    return Event.objects.filter(type=type_, data__object__id=dispute.public_id).count()


def _run_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return run_deadlines_task.delay().get()


def test_reminders_once_each_then_lost_at_due_by(api, merchant, disputed):
    due_by = disputed.due_by
    from apps.ledger.selectors import merchant_balances

    balance = merchant_balances(merchant, False, "USD")
    assert _run_at(due_by - dt.timedelta(days=5, minutes=1)) == 0
    assert _run_at(due_by - dt.timedelta(days=5) + dt.timedelta(minutes=1)) == 1
    assert _run_at(due_by - dt.timedelta(days=4)) == 0  # a second run changes nothing
    assert _events(disputed, "charge.dispute.deadline_reminder") == 1
    assert _run_at(due_by - dt.timedelta(hours=23)) == 1
    assert _run_at(due_by - dt.timedelta(hours=22)) == 0
    assert _events(disputed, "charge.dispute.deadline_reminder") == 2
    assert _run_at(due_by - dt.timedelta(minutes=1)) == 0
    assert Dispute.objects.get(pk=disputed.pk).status == "needs_response"
    assert _run_at(due_by + dt.timedelta(minutes=1)) == 1
    assert _run_at(due_by + dt.timedelta(minutes=2)) == 0
    disputed.refresh_from_db()
    assert (disputed.status, disputed.past_due) == ("lost", True)
    assert _events(disputed, "charge.dispute.closed") == 1
    closed = Event.objects.get(type="charge.dispute.closed", data__object__id=disputed.public_id)
    assert closed.data["object"]["evidence_details"]["past_due"] is True
    assert closed.previous_attributes["status"] == "needs_response"
    assert AuditEntry.objects.filter(action="dispute.past_due", object_id=disputed.public_id).count() == 1
    assert (
        AuditEntry.objects.filter(action="dispute.deadline_reminder", object_id=disputed.public_id).count()
        == 2
    )
    assert merchant_balances(merchant, False, "USD") == balance  # lost: the funds stay withdrawn
    data = api.get(f"/v1/disputes/{disputed.public_id}").json()
    assert data["status"] == "lost" and data["evidence_details"]["past_due"] is True


def test_a_late_first_run_sends_only_the_nearest_reminder(disputed):
    assert _run_at(disputed.due_by - dt.timedelta(hours=20)) == 1
    assert _run_at(disputed.due_by - dt.timedelta(hours=19)) == 0
    assert _events(disputed, "charge.dispute.deadline_reminder") == 1
    assert AuditEntry.objects.get(action="dispute.deadline_reminder").after["reminder"] == "24h"


def test_submitted_disputes_get_no_reminder_and_never_expire(api, disputed):
    api.post(f"/v1/disputes/{disputed.public_id}", {"evidence": {"customer_name": "Ann"}}, format="json")
    assert _run_at(disputed.due_by - dt.timedelta(hours=20)) == 0
    assert _run_at(disputed.due_by + dt.timedelta(days=1)) == 0
    disputed.refresh_from_db()
    assert (disputed.status, disputed.past_due) == ("under_review", False)
    assert _events(disputed, "charge.dispute.deadline_reminder") == 0
