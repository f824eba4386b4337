"""Bulk jobs through the API with tasks run when their transaction commits (the real worker,
a killed worker and mid-way cancel are in test_bulk_worker.py)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.devtools.models import BulkJob, BulkJobRow
from apps.devtools.services import bulk_job_run
from apps.intents.models import PaymentIntent
from apps.merchants.models import MerchantSettings
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the request enqueued once it commits (the job's task), as production does."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def results(api, job_id, kind="payment_intents") -> list[dict]:
    resp = api.get(f"/v1/{kind}/bulk/{job_id}/results")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode())))


def test_a_1000_row_job_runs_every_row_once_with_per_row_errors(api, merchant, committed, settings):
    settings.BULK_JOB_APPROVAL_THRESHOLD = 10**9
    pm = make_card(merchant).public_id
    declined = make_card(merchant, "4000000000000002").public_id
    rows = []
    for n in range(1, 1001):
        row = {"amount": 1000 + n, "currency": "usd", "metadata": {"order_id": f"o-{n}"}}
        if n % 100 == 0:
            row = {"amount": -5, "currency": "usd"}  # refused at upload: never run
        elif n % 250 == 1:
            row.update(payment_method=declined, confirm=True)
        elif n % 50 == 0:
            row.update(payment_method=pm, confirm=True)
        rows.append(row)
    resp = committed(api.post, "/v1/payment_intents/bulk", rows, format="json")
    assert resp.status_code == 200, resp.json()
    job = api.get(f"/v1/payment_intents/bulk/{resp.json()['id']}").json()
    assert job["status"] == "completed_with_errors", job
    assert job["counts"] == {"total": 1000, "processed": 1000, "succeeded": 986, "failed": 14, "remaining": 0}
    created = PaymentIntent.objects.filter(merchant=merchant, metadata__has_key="bulk_job_row")
    assert created.count() == 990  # 10 invalid rows created nothing; 4 declines exist, failed
    assert created.filter(status="succeeded").count() == 10
    lines = results(api, job["id"])
    assert len(lines) == 1000 and [int(line["row"]) for line in lines] == list(range(1, 1001))
    assert lines[99]["status"] == "invalid" and lines[99]["error_param"] == "amount"
    assert lines[0]["status"] == "failed" and lines[0]["error_code"] == "card_declined" and lines[0]["object"]
    assert lines[1]["status"] == "succeeded" and lines[1]["object_status"] == "requires_payment_method"
    intent = PaymentIntent.objects.get(public_id=lines[1]["object"])
    assert (intent.amount, intent.metadata["order_id"], intent.metadata["bulk_job_row"]) == (
        1002, "o-2", f"{job['id']}:2",
    )  # fmt: skip

    # Running it again (a redelivered task) changes nothing.
    assert bulk_job_run(job_id=BulkJob.objects.get(public_id=job["id"]).pk).status == "completed_with_errors"
    assert created.count() == 990


def test_a_row_left_running_by_a_crash_is_recorded_from_its_object_not_created_again(
    api, merchant, committed
):
    resp = committed(
        api.post, "/v1/payment_intents/bulk", [{"amount": 500, "currency": "eur"}] * 3, format="json"
    ).json()
    job = BulkJob.objects.get(public_id=resp["id"])
    # What a worker killed between creating row 2's intent and recording it leaves behind.
    row = BulkJobRow.objects.get(job=job, number=2)
    BulkJobRow.objects.filter(pk=row.pk).update(status="running", object_id="", object_status="")
    BulkJob.objects.filter(pk=job.pk).update(
        status="running", processed_rows=1, succeeded_rows=1, finished_at=None
    )
    BulkJobRow.objects.filter(job=job, number=3).update(status="pending", object_id="")
    PaymentIntent.objects.filter(metadata__bulk_job_row=f"{job.public_id}:3").delete()
    done = bulk_job_run(job_id=job.pk)
    assert done.status == "completed" and done.processed_rows == 3
    markers = list(
        PaymentIntent.objects.filter(merchant=merchant).values_list("metadata__bulk_job_row", flat=True)
    )
    assert sorted(markers) == [f"{job.public_id}:{n}" for n in (1, 2, 3)]
    assert (
        BulkJobRow.objects.get(job=job, number=2).object_id
        == PaymentIntent.objects.get(metadata__bulk_job_row=f"{job.public_id}:2").public_id
    )


def test_csv_upload_with_metadata_columns_and_a_preview_of_invalid_rows(api, merchant, committed):
    text = (
        "amount,currency,description,metadata[order_id]\n1200,usd,first,A-1\n12.5,usd,bad,A-2\n900,xxx,,A-3\n"
    )
    upload = SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")
    resp = committed(api.post, "/v1/payment_intents/bulk", {"file": upload}, format="multipart")
    assert resp.status_code == 200, resp.json()
    job = api.get(f"/v1/payment_intents/bulk/{resp.json()['id']}").json()
    assert (job["source_format"], job["status"], job["counts"]["succeeded"], job["counts"]["failed"]) == (
        "csv", "completed_with_errors", 1, 2,
    )  # fmt: skip
    lines = results(api, job["id"])
    assert [(line["status"], line["error_param"]) for line in lines] == [
        ("succeeded", ""), ("invalid", "amount"), ("invalid", "currency"),
    ]  # fmt: skip
    assert PaymentIntent.objects.get(public_id=lines[0]["object"]).metadata["order_id"] == "A-1"
    jsonl = api.get(f"/v1/payment_intents/bulk/{job['id']}/results", {"file_format": "jsonl"})
    assert jsonl["Content-Type"] == "application/x-ndjson"
    assert b"".join(jsonl.streaming_content).decode().count("\n") == 3


def test_unreadable_uploads_name_the_problem(api, committed):
    for body in ([], {"amount": 1}, "not rows"):
        resp = committed(api.post, "/v1/payment_intents/bulk", body, format="json")
        assert resp.status_code == 400 and resp.json()["error"]["code"] in (
            "bulk_upload_invalid",
            "parse_error",
        )
    upload = SimpleUploadedFile("rows.jsonl", b'{"amount": 1}\nnot json\n')
    resp = committed(api.post, "/v1/refunds/bulk", {"file": upload}, format="multipart")
    assert resp.status_code == 400 and "line 2" in resp.json()["error"]["message"]


def test_bulk_refunds_above_the_merchants_threshold_wait_for_approval(api, merchant, committed):
    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=3000)
    small = pay(api, make_card(merchant), amount=2000).json()["id"]
    large = pay(api, make_card(merchant), amount=8000).json()["id"]
    rows = [{"payment_intent": small}, {"payment_intent": large, "reason": "requested_by_customer"},
            {"payment_intent": "pi_missing"}, {"amount": 5}]  # fmt: skip
    job = committed(api.post, "/v1/refunds/bulk", rows, format="json").json()
    job = api.get(f"/v1/refunds/bulk/{job['id']}").json()
    assert job["status"] == "completed_with_errors" and job["counts"]["failed"] == 2
    lines = results(api, job["id"], "refunds")
    assert [(line["status"], line["object_status"]) for line in lines[:2]] == [
        ("succeeded", "succeeded"), ("succeeded", "requires_approval"),
    ]  # fmt: skip
    assert (lines[2]["error_code"], lines[3]["error_param"]) == ("resource_missing", "payment_intent")
    assert Refund.objects.get(public_id=lines[1]["object"]).status == "requires_approval"


def test_a_job_above_the_total_threshold_needs_a_checker_before_it_starts(api, merchant, settings, committed):
    settings.BULK_JOB_APPROVAL_THRESHOLD = 5000
    job = committed(
        api.post, "/v1/payment_intents/bulk", [{"amount": 3000, "currency": "usd"}] * 2, format="json"
    ).json()
    assert job["status"] == "requires_approval" and job["totals"] == [{"currency": "usd", "amount": 6000}]
    assert not PaymentIntent.objects.exists()
    approval = ApprovalRequest.objects.get(target_id=job["id"], kind="bulk_job")
    committed(
        approval_request_decide,
        approval_id=approval.public_id, approve=True, user=staff_user("finance"), reason="ok",
    )  # fmt: skip
    done = api.get(f"/v1/payment_intents/bulk/{job['id']}").json()
    assert done["status"] == "completed" and PaymentIntent.objects.count() == 2
    again = api.post(f"/v1/payment_intents/bulk/{job['id']}/cancel", {}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "bulk_job_not_cancelable"


def test_a_queued_job_canceled_before_it_runs_creates_nothing(
    api, merchant, django_capture_on_commit_callbacks, committed
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = api.post(
            "/v1/payment_intents/bulk", [{"amount": 700, "currency": "usd"}] * 5, format="json"
        ).json()
    canceled = api.post(f"/v1/payment_intents/bulk/{job['id']}/cancel", {}, format="json").json()
    assert canceled["status"] == "canceled" and canceled["counts"]["processed"] == 0
    for callback in callbacks:
        callback()  # the start task arriving late does nothing
    assert not PaymentIntent.objects.exists()
    assert {line["status"] for line in results(api, job["id"])} == {"canceled"}


def test_another_merchant_and_the_other_kind_see_no_job(api, api_other, client_for, merchant, committed):
    job = committed(
        api.post, "/v1/payment_intents/bulk", [{"amount": 700, "currency": "usd"}], format="json"
    ).json()
    for client in (api_other, client_for(merchant, livemode=True)):
        assert client.get(f"/v1/payment_intents/bulk/{job['id']}").status_code == 404
        assert client.get(f"/v1/payment_intents/bulk/{job['id']}/results").status_code == 404
        assert (
            client.post(f"/v1/payment_intents/bulk/{job['id']}/cancel", {}, format="json").status_code == 404
        )
    assert api.get(f"/v1/refunds/bulk/{job['id']}").status_code == 404
    assert [j["id"] for j in api.get("/v1/payment_intents/bulk").json()["data"]] == [job["id"]]
    assert api_other.get("/v1/payment_intents/bulk").json()["data"] == []
