"""Fee schedules: configuration written by staff, audited (their row history is kept by
pghistory as well)."""

from __future__ import annotations

from django.db import transaction

from apps.audit.services import Actor, audit_record

from ..models import FeeSchedule


def fee_schedule_save(
    *, schedule: FeeSchedule, actor: Actor, before: dict | None = None, after: dict | None = None
) -> FeeSchedule:
    """Creates or updates `schedule`; `before` / `after` are the changed fields' old and new
    values as the staff member saw them (`before` is None for a new schedule)."""
    created = schedule._state.adding
    schedule.currency = schedule.currency.upper()
    with transaction.atomic():
        schedule.save()
        audit_record(
            actor=actor,
            action="fee_schedule.created" if created else "fee_schedule.updated",
            merchant=schedule.merchant,
            obj=schedule,
            object_id=str(schedule.pk),
            before=None if created else before,
            after=after or {},
        )
    return schedule
