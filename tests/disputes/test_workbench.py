"""The dispute workbench in the back office: the queue (sorted by due_by, countdown, badge,
filters), drafting evidence with an uploaded file, the one submission behind a confirm step,
accepting through the maker-checker (support asks, finance approves), the timeline — each step
through the services, audited with the staff member and the reason."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEntry
from apps.disputes.models import Dispute
from apps.files.models import File
from tests.admin.staff import staff_user
from tests.files.conftest import EXE, PDF, files_in_tmp  # noqa: F401 (fixture)

from .conftest import network_event

pytestmark = pytest.mark.django_db


def _page(dispute):
    return reverse("admin:disputes_dispute_change", args=[dispute.pk])


def test_the_queue_is_sorted_by_due_by_with_countdown_badge_and_filters(client, disputed, api, merchant):
    from apps.intents.models import Charge
    from tests.intents.helpers import make_card, pay

    urgent_charge = Charge.objects.get(public_id=pay(api, make_card(merchant)).json()["latest_charge"])
    network_event(merchant, urgent_charge, "charge.dispute.created", dispute="sbxdp_urgent",
                  evidence_due_by=int((timezone.now() + dt.timedelta(hours=5)).timestamp()))  # fmt: skip
    urgent = Dispute.objects.get(connector_dispute_id="sbxdp_urgent")
    client.force_login(staff_user("support"))
    url = reverse("admin:disputes_dispute_changelist")
    html = client.get(url).content.decode()
    assert html.index(urgent.public_id) < html.index(disputed.public_id)  # the nearest deadline first
    assert html.count("due in 24 h") == 1 and "4 h" in html and f"{urgent.due_by:%Y-%m-%d %H:%M} UTC" in html
    within_24h = client.get(url, {"due_within": "24h"}).content.decode()
    assert urgent.public_id in within_24h and disputed.public_id not in within_24h
    within_7d = client.get(url, {"due_within": "7d"}).content.decode()
    assert urgent.public_id in within_7d and disputed.public_id not in within_7d  # Visa: 23 days to answer
    assert disputed.public_id in client.get(url, {"network": "visa"}).content.decode()
    assert disputed.public_id not in client.get(url, {"network": "amex"}).content.decode()


def test_support_drafts_evidence_with_a_pdf_and_submits_it_once(client, disputed):
    support = staff_user("support")
    client.force_login(support)
    page = client.get(_page(disputed)).content.decode()
    assert "20.00 USD" in page and "Save draft" in page and "Submit…" in page and "available" in page
    assert page.index("Access activity log") < page.index(
        "Shipping tracking number"
    )  # fraud: access logs first
    resp = client.post(_page(disputed), {
        "_draft": "1", "customer_name": "Ann Lee", "uncategorized_text": "winning_evidence",
        "receipt": SimpleUploadedFile("receipt.pdf", PDF, content_type="application/pdf"),
    })  # fmt: skip
    assert resp.status_code == 302
    disputed.refresh_from_db()
    file = File.objects.get()
    assert disputed.evidence["receipt"] == file.public_id and disputed.evidence["customer_name"] == "Ann Lee"
    assert disputed.status == "needs_response" and disputed.submission_count == 0
    draft = AuditEntry.objects.get(action="dispute.update", object_id=disputed.public_id)
    assert draft.actor_type == "staff" and draft.actor_id == str(support.pk)
    assert AuditEntry.objects.filter(
        action="file.created", object_id=file.public_id, actor_type="staff"
    ).exists()
    download = client.get(reverse("admin:disputes_dispute_file", args=[disputed.pk, file.public_id]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # Submit: the form saves, then a confirm page asks for the reason.
    resp = client.post(_page(disputed), {"_submit": "1", "customer_name": "Ann Lee",
                                         "uncategorized_text": "winning_evidence"})  # fmt: skip
    confirm_url = reverse("admin:disputes_dispute_act", args=[disputed.pk, "submit"])
    assert resp.status_code == 302 and resp["Location"] == confirm_url
    assert "one submission" in client.get(confirm_url).content.decode()
    assert client.post(confirm_url, {"reason": "Receipt and signature attached"}).status_code == 302
    disputed.refresh_from_db()
    assert (disputed.status, disputed.submission_count) == ("under_review", 1)
    submitted = AuditEntry.objects.get(action="dispute.evidence_submitted", object_id=disputed.public_id)
    assert submitted.reason == "Receipt and signature attached" and submitted.actor_id == str(support.pk)
    page = client.get(_page(disputed)).content.decode()
    assert "Submission used" in page and "Save draft" not in page
    assert "Evidence submitted" in page and "Evidence saved (draft)" in page  # the timeline
    # The slot is used: a second submit is refused, nothing changes.
    client.post(confirm_url, {"reason": "again please"})
    assert Dispute.objects.get(pk=disputed.pk).submission_count == 1
    assert client.post(_page(disputed), {"_draft": "1", "customer_name": "Bob"}).status_code == 403


def test_a_renamed_executable_is_refused_in_the_form_and_nothing_is_staged(client, disputed):
    client.force_login(staff_user("support"))
    resp = client.post(_page(disputed), {
        "_draft": "1", "customer_name": "Ann",
        "receipt": SimpleUploadedFile("receipt.pdf", EXE, content_type="application/pdf"),
    })  # fmt: skip
    assert resp.status_code == 200 and "not a PDF, JPEG or PNG" in resp.content.decode()
    disputed.refresh_from_db()
    assert disputed.evidence == {} and File.objects.count() == 0


def test_risk_sees_but_cannot_draft_submit_or_accept(client, disputed):
    client.force_login(staff_user("risk"))
    page = client.get(_page(disputed)).content.decode()
    assert "Save draft" not in page and "Accept dispute" not in page
    assert client.post(_page(disputed), {"_draft": "1", "customer_name": "x"}).status_code == 403
    for action in ("submit", "accept"):
        url = reverse("admin:disputes_dispute_act", args=[disputed.pk, action])
        assert client.post(url, {"reason": "trying it"}).status_code == 403
    disputed.refresh_from_db()
    assert disputed.evidence == {} and disputed.status == "needs_response"


def test_support_asks_to_accept_and_finance_approves(client, disputed, django_capture_on_commit_callbacks):
    support, finance = staff_user("support"), staff_user("finance")
    client.force_login(support)
    accept_url = reverse("admin:disputes_dispute_act", args=[disputed.pk, "accept"])
    assert client.post(accept_url, {"reason": "Customer has a point"}).status_code == 302
    approval = ApprovalRequest.objects.get(kind="dispute_accept", target_id=disputed.public_id)
    assert approval.status == "pending" and approval.amount == 2000
    assert Dispute.objects.get(pk=disputed.pk).status == "needs_response"  # nothing yet
    assert "awaiting a finance approver" in client.get(_page(disputed)).content.decode()
    decide = reverse("admin:approvals_approvalrequest_decide", args=[approval.pk])
    # Support cannot decide its own request (nor has the permission).
    assert client.post(decide, {"reason": "ok", "decision": "approve"}).status_code == 403
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):  # the approval's executor runs after commit
        assert (
            client.post(decide, {"reason": "Agreed: refund policy", "decision": "approve"}).status_code == 302
        )
    approval.refresh_from_db()
    disputed.refresh_from_db()
    assert approval.status == "executed" and disputed.status == "lost" and disputed.closed_at is not None
    accepted = AuditEntry.objects.get(action="dispute.accepted", object_id=disputed.public_id)
    assert accepted.reason == "Agreed: refund policy" and accepted.actor_label
    requested = AuditEntry.objects.get(action="dispute.accept_requested", object_id=disputed.public_id)
    assert requested.reason == "Customer has a point" and requested.actor_id == str(support.pk)
    # A second request on a closed dispute is refused.
    client.force_login(support)
    client.post(accept_url, {"reason": "once more"})
    assert ApprovalRequest.objects.filter(kind="dispute_accept").count() == 1


def test_the_form_prefills_what_clearhouse_knows(client, api, merchant):
    from apps.connectors.sandbox import SandboxAdapter
    from apps.intents.models import Charge
    from tests.disputes.conftest import connector_of
    from tests.intents.helpers import make_card, pay
    from tests.webhooks.test_api_inbound import post_callback

    body = pay(api, make_card(merchant, "4000000000000259"), receipt_email="ann@example.com").json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    [(raw, headers)] = SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference)
    post_callback(connector_of(merchant).public_id, raw, headers)
    dispute = Dispute.objects.get(charge=charge)
    client.force_login(staff_user("support"))
    page = client.get(_page(dispute)).content.decode()
    assert 'value="ann@example.com"' in page and "CVC check: pass" in page


def test_the_dashboard_counts_disputes_awaiting_a_response(client, disputed):
    client.force_login(staff_user("finance"))
    html = client.get(reverse("admin:index")).content.decode()
    assert "Disputes awaiting a response" in html
    start = html.index("Disputes awaiting a response")
    assert ">1<" in html[start : start + 600].replace(" ", "") and "0 due within 24 h" in html
