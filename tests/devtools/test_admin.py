"""The back office of the developer platform, per role."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.devtools.models import AccessReview, BulkJob
from apps.intents.models import PaymentIntent
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db


def test_finance_uploads_previews_starts_and_downloads_a_job(
    client, merchant, django_capture_on_commit_callbacks
):
    client.force_login(staff_user("finance"))
    assert client.get(reverse("admin:devtools_bulkjob_upload")).status_code == 200
    upload = SimpleUploadedFile("rows.csv", b"amount,currency\n1500,usd\nabc,usd\n2500,eur\n")
    resp = client.post(
        reverse("admin:devtools_bulkjob_upload"),
        {"merchant": merchant.pk, "kind": "payment_intents", "file": upload, "reason": "monthly invoices"},
    )
    assert resp.status_code == 302, resp.content.decode()[-2000:]
    job = BulkJob.objects.get()
    assert (job.status, job.total_rows, job.failed_rows) == ("draft", 3, 1)
    assert not PaymentIntent.objects.exists()
    page = client.get(reverse("admin:devtools_bulkjob_change", args=[job.pk])).content.decode()
    assert "rows refused at upload" in page.lower() and "Invalid integer: abc" in page
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("admin:devtools_bulkjob_changelist"),
            {
                "action": "start_jobs",
                "_selected_action": [job.pk],
                "apply": "1",
                "reason": "checked the preview",
            },
        )
    assert resp.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.succeeded_rows, job.failed_rows) == ("completed_with_errors", 2, 1)
    assert PaymentIntent.objects.filter(merchant=merchant).count() == 2
    csv_body = b"".join(
        client.get(reverse("admin:devtools_bulkjob_results", args=[job.pk])).streaming_content
    )
    assert csv_body.decode().splitlines()[0].startswith("row,status,object")
    [started] = AuditEntry.objects.filter(action="bulk_job.started")
    assert (started.actor_type, started.reason) == ("staff", "checked the preview")


def test_risk_sees_no_bulk_job_page_and_support_no_upload(client):
    client.force_login(staff_user("risk"))
    assert client.get(reverse("admin:devtools_bulkjob_upload")).status_code == 403
    assert client.get(reverse("admin:devtools_diagnostics")).status_code == 403
    client.force_login(staff_user("support"))
    assert client.get(reverse("admin:devtools_bulkjob_upload")).status_code == 403


def test_diagnostics_and_attestation_pages(client, merchant):
    client.force_login(staff_user("support"))
    page = client.get(reverse("admin:devtools_diagnostics"))
    assert page.status_code == 200 and "payment_intents_in_flight" in page.content.decode()
    page = client.get(reverse("admin:devtools_attestation"), {"merchant": merchant.public_id})
    assert page.status_code == 200 and "key_versions_in_use" in page.content.decode()


def test_compliance_records_an_access_review_that_cannot_be_edited(client):
    user = staff_user("compliance")
    client.force_login(user)
    resp = client.post(
        reverse("admin:devtools_accessreview_add"), {"notes": "Quarterly review: removed 1 account"}
    )
    assert resp.status_code == 302, resp.content.decode()[-1500:]
    review = AccessReview.objects.get()
    assert review.reviewer_label == user.get_username() and review.snapshot["active_staff"] >= 1
    assert AuditEntry.objects.filter(action="staff.access_reviewed").count() == 1
    assert client.post(
        reverse("admin:devtools_accessreview_change", args=[review.pk]), {"notes": "x"}
    ).status_code in (
        403,
        302,
    )
    review.refresh_from_db()
    assert review.notes.startswith("Quarterly")
    assert (
        client.post(
            reverse("admin:devtools_accessreview_delete", args=[review.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
