"""Bulk jobs and delayed simulations with a real Celery worker subprocess on a real Redis broker
(this run's own queue on DB 9, as tests/webhooks does): a worker killed mid-job, a cancel while
the job runs, a countdown simulation. Nothing here asserts how long anything took."""

import datetime as dt
import os

import pytest
from django.core.signals import request_started
from django.db import close_old_connections
from django.utils import timezone

from apps.devtools.models import BulkJob, BulkJobRow
from apps.devtools.services import bulk_jobs_resume
from apps.disputes.models import Dispute
from apps.intents.models import PaymentIntent
from tests.conftest import SUITE_VAULT_KEYS
from tests.intents.helpers import make_card, pay
from tests.webhooks.helpers import real_broker, start_worker, wait_until, worker_running

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BROKER = os.environ.get("DEVTOOLS_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
# The worker decrypts the cards it charges with the suite's vault key (tests/conftest.py).
WORKER = {"broker_url": BROKER, "extra_env": {"VAULT_KEYS": SUITE_VAULT_KEYS}}


@pytest.fixture(autouse=True)
def _keep_test_connection():
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


def slow_rows(merchant, count: int) -> list[dict]:
    """Rows that each take a sandbox round trip of a few tens of milliseconds, so a job is still
    running when the test acts on it."""
    pm = make_card(merchant).public_id
    return [
        {"amount": 1000 + n, "currency": "usd", "payment_method": pm, "confirm": True,
         "metadata": {"sandbox_latency_ms": "40"}}
        for n in range(count)
    ]  # fmt: skip


def job_of(body) -> BulkJob:
    return BulkJob.objects.get(public_id=body["id"])


def made_by(job: BulkJob) -> list[str]:
    return list(
        PaymentIntent.objects.filter(
            metadata__has_key="bulk_job_row", metadata__bulk_job_row__startswith=job.public_id
        ).values_list("metadata__bulk_job_row", flat=True)
    )


def test_a_worker_killed_mid_job_is_resumed_by_another_without_duplicates(api, merchant, tmp_path):
    with real_broker(BROKER) as queue:
        first = start_worker(queue=queue, tmp_path=tmp_path, **WORKER)
        try:
            body = api.post("/v1/payment_intents/bulk", slow_rows(merchant, 150), format="json").json()
            job = job_of(body)
            wait_until(lambda: BulkJob.objects.get(pk=job.pk).processed_rows >= 15, message="first rows")
        finally:
            first.kill()
        job.refresh_from_db()
        assert job.status == "running" and job.processed_rows < 150
        with worker_running(queue=queue, tmp_path=tmp_path, **WORKER):
            # The beat's sweeper finds the job without a heartbeat and enqueues it again.
            BulkJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=10))
            assert bulk_jobs_resume() == 1
            wait_until(
                lambda: BulkJob.objects.get(pk=job.pk).status == "completed",
                timeout=120,
                message="completion",
            )
    job.refresh_from_db()
    assert (job.processed_rows, job.succeeded_rows, job.failed_rows) == (150, 150, 0)
    markers = made_by(job)
    assert sorted(markers) == sorted(f"{job.public_id}:{n}" for n in range(1, 151))  # one intent per row
    rows = BulkJobRow.objects.filter(job=job)
    assert set(rows.values_list("status", flat=True)) == {"succeeded"}
    assert rows.values("object_id").distinct().count() == 150
    statuses = list(
        PaymentIntent.objects.filter(public_id__in=rows.values("object_id")).values_list("status", flat=True)
    )
    # The intent whose confirm was in flight when the worker died is left processing, for the
    # janitor to settle with the acquirer; it was found by its row key, not created again.
    assert statuses.count("succeeded") >= 149 and set(statuses) <= {"succeeded", "processing"}


def test_cancel_while_running_stops_before_the_next_row_with_exact_counts(api, merchant, tmp_path):
    with real_broker(BROKER) as queue, worker_running(queue=queue, tmp_path=tmp_path, **WORKER):
        body = api.post("/v1/payment_intents/bulk", slow_rows(merchant, 150), format="json").json()
        job = job_of(body)
        wait_until(lambda: BulkJob.objects.get(pk=job.pk).processed_rows >= 5, message="first rows")
        resp = api.post(f"/v1/payment_intents/bulk/{job.public_id}/cancel", {}, format="json")
        assert resp.status_code == 200 and resp.json()["cancel_requested"] is True
        wait_until(lambda: BulkJob.objects.get(pk=job.pk).status == "canceled", message="canceled")
    job.refresh_from_db()
    errors = set(
        BulkJobRow.objects.filter(job=job, status="failed").values_list("error_code", "error_message")
    )
    assert not errors
    ran = BulkJobRow.objects.filter(job=job, status="succeeded").count()
    canceled = BulkJobRow.objects.filter(job=job, status="canceled").count()
    assert job.processed_rows == ran == len(made_by(job)) and 5 <= ran < 150
    assert ran + canceled == 150
    public = api.get(f"/v1/payment_intents/bulk/{job.public_id}").json()
    assert public["counts"]["processed"] == ran and public["counts"]["remaining"] == 150 - ran


def test_a_delayed_simulation_is_applied_by_the_worker(api, merchant, tmp_path):
    with real_broker(BROKER) as queue, worker_running(queue=queue, tmp_path=tmp_path, **WORKER):
        intent = pay(api, make_card(merchant)).json()
        resp = api.post(
            "/v1/test_helpers/simulate",
            {"type": "charge.dispute.created", "object": intent["id"], "delay_ms": 300},
            format="json",
        )
        assert resp.status_code == 202, resp.json()
        sim_id = resp.json()["id"]
        wait_until(
            lambda: api.get(f"/v1/test_helpers/simulations/{sim_id}").json()["status"] == "applied",
            message="simulation applied",
        )
    assert Dispute.objects.filter(payment_intent__public_id=intent["id"]).count() == 1
