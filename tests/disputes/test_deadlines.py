"""The deadline job: past_due is set and announced once when `due_by` passes."""

import datetime as dt

import pytest
import time_machine

from apps.audit.models import AuditEntry
from apps.disputes.models import Dispute
from apps.disputes.tasks import mark_past_due_task
from apps.webhooks.models import Event

pytestmark = pytest.mark.django_db


def _past_due_events(dispute) -> int:
    return Event.objects.filter(
        type="charge.dispute.updated",
        data__object__id=dispute.public_id,
        data__object__evidence_details__past_due=True,
    ).count()


def test_past_due_is_marked_once_when_due_by_passes(api, disputed):
    due_by = disputed.due_by
    with time_machine.travel(due_by - dt.timedelta(minutes=1), tick=False):
        assert mark_past_due_task.delay().get() == 0
    assert Dispute.objects.get(pk=disputed.pk).past_due is False
    with time_machine.travel(due_by + dt.timedelta(minutes=1), tick=False):
        assert mark_past_due_task.delay().get() == 1
        assert mark_past_due_task.delay().get() == 0  # a second run, or a double beat, changes nothing
    disputed.refresh_from_db()
    assert disputed.past_due is True and _past_due_events(disputed) == 1
    assert AuditEntry.objects.filter(action="dispute.past_due", object_id=disputed.public_id).count() == 1
    assert api.get(f"/v1/disputes/{disputed.public_id}").json()["evidence_details"]["past_due"] is True


def test_submitted_disputes_are_never_past_due(api, disputed):
    api.post(f"/v1/disputes/{disputed.public_id}", {"evidence": {"customer_name": "Ann"}}, format="json")
    with time_machine.travel(disputed.due_by + dt.timedelta(days=1), tick=False):
        assert mark_past_due_task.delay().get() == 0
    assert Dispute.objects.get(pk=disputed.pk).past_due is False and _past_due_events(disputed) == 0
