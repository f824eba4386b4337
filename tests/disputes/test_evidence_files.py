"""Evidence file fields take the merchant's own uploaded files; a file of another merchant, a
missing one or files too large together are refused by field and nothing is staged."""

import pytest

from apps.audit.models import AuditEntry
from tests.files.conftest import PDF, files_in_tmp  # noqa: F401 (fixture)
from tests.files.test_api import upload

pytestmark = pytest.mark.django_db


def _error(resp):
    error = resp.json()["error"]
    return resp.status_code, error["code"], error.get("param")


def test_uploaded_file_is_staged_and_submitted_as_evidence(api, disputed):
    file_id = upload(api, PDF, name="receipt.pdf").json()["id"]
    path = f"/v1/disputes/{disputed.public_id}"
    staged = api.post(path, {"evidence": {"receipt": file_id}, "submit": False}, format="json").json()
    assert staged["evidence"]["receipt"] == file_id and staged["evidence_details"]["has_evidence"] is True
    submitted = api.post(path, {"evidence": {"uncategorized_text": "See the receipt."}}, format="json").json()
    assert submitted["status"] == "under_review" and submitted["evidence"]["receipt"] == file_id
    audit = AuditEntry.objects.filter(action="dispute.update", object_id=disputed.public_id).get()
    assert audit.after["evidence_fields"] == ["receipt"]


def test_another_merchants_file_on_your_dispute_is_refused(api, api_other, disputed):
    foreign = upload(api_other, PDF).json()["id"]
    resp = api.post(f"/v1/disputes/{disputed.public_id}", {"evidence": {"receipt": foreign}}, format="json")
    assert _error(resp) == (400, "resource_missing", "evidence[receipt]")
    disputed.refresh_from_db()
    assert disputed.evidence == {} and disputed.submission_count == 0


def test_evidence_files_too_large_together_are_refused(api, disputed, settings):
    first = upload(api, PDF + b"1" * 600).json()["id"]
    second = upload(api, PDF + b"2" * 600).json()["id"]
    settings.DISPUTE_EVIDENCE_MAX_BYTES = 1000
    path = f"/v1/disputes/{disputed.public_id}"
    assert api.post(path, {"evidence": {"receipt": first}, "submit": False}, format="json").status_code == 200
    resp = api.post(path, {"evidence": {"customer_communication": second}, "submit": False}, format="json")
    assert _error(resp) == (400, "dispute_evidence_files_too_large", "evidence")
    disputed.refresh_from_db()
    assert disputed.evidence == {"receipt": first}
