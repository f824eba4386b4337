"""POST/GET /v1/files and /v1/file_links: what is accepted (by content, not name), what is refused
before a byte is stored, signed download URLs that expire, and tenant isolation."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.audit.models import AuditEntry
from apps.files.models import File

from .conftest import EXE, JPEG, PDF, PNG, stored_files

pytestmark = pytest.mark.django_db


def upload(
    api, content: bytes, name="evidence.pdf", purpose="dispute_evidence", content_type="application/pdf"
):
    data = {"file": SimpleUploadedFile(name, content, content_type=content_type)}
    if purpose is not None:
        data["purpose"] = purpose
    return api.post("/v1/files", data, format="multipart")


def _error(resp) -> tuple[int, str, str | None]:
    error = resp.json()["error"]
    return resp.status_code, error["code"], error.get("param")


@pytest.mark.parametrize(("content", "name", "kind"), [(PDF, "receipt.pdf", "pdf"), (PNG, "shot.PNG", "png"),
                                                       (JPEG, "photo.jpeg", "jpg"), (PDF, "no-extension", "pdf")])  # fmt: skip
def test_upload_is_typed_by_its_content_hashed_and_stored(api, merchant, files_in_tmp, content, name, kind):
    resp = upload(api, content, name=name)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["object"] == "file" and body["id"].startswith("file_")
    assert (body["purpose"], body["type"], body["size"], body["filename"]) == (
        "dispute_evidence",
        kind,
        len(content),
        name,
    )
    row = File.objects.get(public_id=body["id"])
    assert row.merchant == merchant and row.sha256 == hashlib.sha256(content).hexdigest()
    [path] = stored_files(files_in_tmp)
    assert path.read_bytes() == content and name not in str(path)  # our name, never the client's
    audit = AuditEntry.objects.get(action="file.created", object_id=body["id"])
    assert audit.after["sha256"] == row.sha256
    assert api.get(f"/v1/files/{body['id']}").json()["size"] == len(content)
    contents = api.get(f"/v1/files/{body['id']}/contents")
    assert contents.status_code == 200 and b"".join(contents.streaming_content) == content


@pytest.mark.parametrize(
    ("content", "name", "purpose", "expected"),
    [
        (b"GIF89a" + b"\x00" * 20, "a.pdf", "dispute_evidence", (400, "file_type_unsupported", "file")),
        (EXE, "invoice.pdf", "dispute_evidence", (400, "file_type_unsupported", "file")),
        (PDF, "invoice.exe", "dispute_evidence", (400, "file_type_mismatch", "file")),
        (PNG, "invoice.pdf", "dispute_evidence", (400, "file_type_mismatch", "file")),
        (b"", "empty.pdf", "dispute_evidence", (400, "file_empty", "file")),
        (PDF, "a.pdf", "identity_document", (400, "parameter_invalid", "purpose")),
        (PDF, "a.pdf", None, (400, "parameter_missing", "purpose")),
    ],
)
def test_bad_uploads_are_refused_by_name_and_nothing_is_stored(
    api, files_in_tmp, content, name, purpose, expected
):
    assert _error(upload(api, content, name=name, purpose=purpose)) == expected
    assert File.objects.count() == 0 and stored_files(files_in_tmp) == []


def test_too_large_upload_is_refused(api, settings, files_in_tmp):
    settings.FILES_MAX_BYTES = 1024
    resp = upload(api, PDF + b"0" * 1024)
    assert _error(resp) == (400, "file_too_large", "file")
    assert str(len(PDF) + 1024) in resp.json()["error"]["message"]
    assert File.objects.count() == 0 and stored_files(files_in_tmp) == []
    assert upload(api, PDF).status_code == 200


def test_missing_file_part_is_named(api):
    resp = api.post("/v1/files", {"purpose": "dispute_evidence"}, format="multipart")
    assert _error(resp) == (400, "parameter_missing", "file")
    not_a_file = api.post("/v1/files", {"purpose": "dispute_evidence", "file": "hello"}, format="multipart")
    assert _error(not_a_file)[0] == 400 and _error(not_a_file)[2] == "file"


def test_signed_download_url_works_without_a_key_then_expires(api, files_in_tmp):
    body = upload(api, PDF).json()
    anonymous = APIClient()
    resp = anonymous.get(body["url"])
    assert resp.status_code == 200 and b"".join(resp.streaming_content) == PDF
    assert resp["Content-Type"] == "application/pdf" and "attachment" in resp["Content-Disposition"]
    assert anonymous.get(body["url"][:-3] + "xyz").status_code == 404  # tampered
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)):
        assert anonymous.get(body["url"]).status_code == 404


def test_file_links_expire(api, files_in_tmp):
    file_id = upload(api, PDF).json()["id"]
    soon = int((dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).timestamp())
    link = api.post("/v1/file_links", {"file": file_id, "expires_at": soon}, format="json").json()
    assert link["object"] == "file_link" and link["file"] == file_id and link["expired"] is False
    assert APIClient().get(link["url"]).status_code == 200
    assert [row["id"] for row in api.get("/v1/file_links", {"file": file_id}).json()["data"]] == [link["id"]]
    past = api.post("/v1/file_links", {"file": file_id, "expires_at": 1000}, format="json")
    assert _error(past) == (400, "parameter_invalid", "expires_at")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        assert APIClient().get(link["url"]).status_code == 404
        assert api.get(f"/v1/file_links/{link['id']}").json()["expired"] is True


def test_another_merchants_file_answers_404_everywhere(api, api_other, files_in_tmp):
    body = upload(api, PDF).json()
    assert api_other.get(f"/v1/files/{body['id']}").status_code == 404
    assert api_other.get(f"/v1/files/{body['id']}/contents").status_code == 404
    assert api_other.get("/v1/files").json()["data"] == []
    link = api_other.post("/v1/file_links", {"file": body["id"]}, format="json")
    assert _error(link) == (404, "resource_missing", "file")
    own = api.post("/v1/file_links", {"file": body["id"]}, format="json").json()
    assert api_other.get(f"/v1/file_links/{own['id']}").status_code == 404
    assert api_other.get("/v1/file_links").json()["data"] == []
    assert [f["id"] for f in api.get("/v1/files", {"purpose": "dispute_evidence"}).json()["data"]] == [
        body["id"]
    ]


def test_a_test_mode_file_is_not_visible_in_live_mode(client_for, merchant, api, files_in_tmp):
    body = upload(api, PDF).json()
    live = client_for(merchant, livemode=True)
    assert live.get(f"/v1/files/{body['id']}").status_code == 404


def test_text_the_database_cannot_hold_is_refused_by_name(api, files_in_tmp):
    resp = api.post("/v1/files", {"purpose": "dispute_\x00evidence",
                                  "file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
                    format="multipart")  # fmt: skip
    assert _error(resp)[0] == 400 and _error(resp)[2] == "purpose"
    assert File.objects.count() == 0 and stored_files(files_in_tmp) == []


def test_restricted_keys_need_the_files_scope(client_for, merchant, files_in_tmp):
    without = client_for(merchant, kind="restricted", scopes=["disputes:write"])
    assert upload(without, PDF).status_code == 403
    reader = client_for(merchant, kind="restricted", scopes=["files:read"])
    assert upload(reader, PDF).status_code == 403 and reader.get("/v1/files").status_code == 200
    writer = client_for(merchant, kind="restricted", scopes=["files:write"])
    assert upload(writer, PDF).status_code == 200
