"""Fee schedules: staff writes go through fee_schedule_save, which audits them."""

import pytest

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.ledger.models import FeeSchedule
from apps.ledger.selectors import fee_compute
from apps.ledger.services import fee_schedule_save

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def test_fee_schedule_save_creates_then_updates_and_audits_both(merchant):
    schedule = fee_schedule_save(
        schedule=FeeSchedule(merchant=merchant, currency="usd", percent_bp=290, fixed_amount=30),
        actor=ACTOR,
        before={"percent_bp": 0},
        after={"percent_bp": 290},
    )
    assert schedule.currency == "USD"
    assert fee_compute(merchant=merchant, currency="USD", payment_method_type="card", amount=10_000)[0] == 320
    schedule.percent_bp = 250
    fee_schedule_save(schedule=schedule, actor=ACTOR, before={"percent_bp": 290}, after={"percent_bp": 250})
    entries = AuditEntry.objects.filter(object_type="ledger.feeschedule", object_id=str(schedule.pk))
    created, updated = entries.order_by("id")
    assert (created.action, created.before, created.after) == (
        "fee_schedule.created",
        None,
        {"percent_bp": 290},
    )
    assert (updated.action, updated.before, updated.after) == (
        "fee_schedule.updated",
        {"percent_bp": 290},
        {"percent_bp": 250},
    )
