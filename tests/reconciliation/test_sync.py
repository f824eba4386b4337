import pytest

from apps.reconciliation.models import ReconciliationRun, SettlementFile, SettlementSync
from apps.reconciliation.schedule import BEAT_SCHEDULE
from apps.reconciliation.tasks import settlement_sync_task

from .factories import charge_paid, today

pytestmark = pytest.mark.django_db


def test_the_beat_job_syncs_every_active_connector_once_per_code_and_queues_the_run(
    api, merchant, client_for, other_merchant, django_capture_on_commit_callbacks, time_machine
):
    assert (
        BEAT_SCHEDULE["reconciliation.settlement_sync"]["task"]
        == "apps.reconciliation.tasks.settlement_sync_task"
    )
    charge_paid(api, merchant, 2000)
    charge_paid(client_for(other_merchant), other_merchant, 3000)
    day = today()
    time_machine.move_to(day.isoformat() + "T23:59:00Z", tick=False)
    time_machine.shift(60 * 60 * 5)  # the next morning: the beat syncs yesterday
    with django_capture_on_commit_callbacks(execute=True), django_capture_on_commit_callbacks(execute=True):
        queued = settlement_sync_task()
    assert queued.startswith("queued ssy_")
    job = SettlementSync.objects.get()
    assert job.status == "completed" and job.interval_start == day
    # Two merchants' sandbox connectors share the acquirer's account file: fetched and ingested once.
    [file] = SettlementFile.objects.filter(source="sync")
    assert file.lines.count() == 2 and job.result["files"] == [file.public_id]
    assert ReconciliationRun.objects.filter(connector_code="sandbox").exists()
