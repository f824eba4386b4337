"""Compliance export: hash-chained CSV / JSON Lines, verified by `manage.py verify_audit_export`."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from apps.audit.export import verify_file
from apps.audit.models import AuditEntry, AuditExport
from apps.audit.services import Actor, audit_export_request, audit_export_run, audit_record
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def entries(merchant):
    reasons = ["plain", 'quotes " and, commas', "multi\nline\r\nreason", "ünïcödé ✓", ""]
    for i in range(25):
        audit_record(
            actor=Actor.system("tests"),
            action=f"thing.{'done' if i % 2 else 'made'}",
            merchant=merchant,
            object_type="x",
            object_id=f"x_{i}",
            before={"n": i - 1} if i else None,
            after={"n": i, "nested": {"list": [1, "two"]}},
            reason=reasons[i % len(reasons)],
        )


def _export(user, **filters):
    export = audit_export_request(user=user, **filters)
    return audit_export_run(export_id=export.pk)


def _write_copy(tmp_path, export, fmt) -> Path:
    field = export.csv_file if fmt == "csv" else export.jsonl_file
    target = tmp_path / f"{export.public_id}.{fmt}"
    with field.open("rb") as src:
        target.write_bytes(src.read())
    (tmp_path / f"{export.public_id}.manifest.json").write_text(json.dumps(export.manifest))
    return target


def test_export_is_audited_and_the_chain_verifies(entries, tmp_path):
    compliance = staff_user("compliance", "cora")
    export = _export(compliance)
    assert export.status == AuditExport.Status.COMPLETED
    requested = AuditEntry.objects.get(action="audit_export.requested", object_id=export.public_id)
    assert requested.actor_label == "cora"
    # The 25 entries plus the export request itself.
    assert export.row_count == 26
    assert export.manifest["files"]["csv"]["final_hash"] == export.final_hash
    for fmt in ("csv", "jsonl"):
        path = _write_copy(tmp_path, export, fmt)
        result = verify_file(path, export.manifest)
        assert result.ok and result.rows == 26, result
        call_command("verify_audit_export", str(path))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_one_changed_byte_fails_and_names_the_first_bad_row(entries, tmp_path, fmt):
    export = _export(staff_user("compliance"))
    path = _write_copy(tmp_path, export, fmt)
    data = bytearray(path.read_bytes())
    # Change one byte inside row 7's object id ("x_6" → "x_7").
    needle = b'"x_6"' if fmt == "jsonl" else b",x_6,"
    at = data.index(needle) + needle.index(b"6")
    data[at] = ord("7")
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match=r"first bad row: row 7 \(line"):
        call_command("verify_audit_export", str(path))


def test_every_single_byte_change_is_detected(entries, tmp_path):
    export = _export(staff_user("compliance"), action="thing.done")
    path = _write_copy(tmp_path, export, "csv")
    original = path.read_bytes()
    for at in range(0, len(original), 7):
        data = bytearray(original)
        data[at] = (data[at] + 1) % 256
        path.write_bytes(bytes(data))
        assert not verify_file(path, export.manifest).ok, at


def test_truncation_is_caught_by_the_manifest(entries, tmp_path):
    export = _export(staff_user("compliance"))
    path = _write_copy(tmp_path, export, "jsonl")
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    assert verify_file(path).ok  # the chain of the remaining rows is intact…
    with pytest.raises(CommandError, match="manifest lists 26 rows"):
        call_command("verify_audit_export", str(path))  # …but the manifest next to it is not


def test_filters(entries, merchant, other_merchant):
    audit_record(actor=Actor.system("other"), action="thing.done", merchant=other_merchant)
    user = staff_user("compliance")
    assert _export(user, action="thing.done").row_count == 13
    assert _export(user, action="thing.").row_count == 26
    # The other merchant's entry, plus this export's own request (audited under that merchant).
    assert _export(user, merchant=other_merchant).row_count == 2
    assert _export(user, actor="other").row_count == 1
    assert _export(user, date_from=timezone.now() + timedelta(hours=1)).row_count == 0


def test_admin_request_and_download(entries, client, django_capture_on_commit_callbacks):
    compliance = staff_user("compliance", "cora")
    client.force_login(compliance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:audit_auditexport_add"), {"action": "thing."})
    assert response.status_code == 302, response.content[:2000]
    export = AuditExport.objects.get()
    assert export.status == AuditExport.Status.COMPLETED
    page = client.get(reverse("admin:audit_auditexport_change", args=[export.pk])).content.decode()
    assert export.final_hash in page
    url = reverse("admin:audit_auditexport_download", args=[export.pk, "csv"])
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"seq,entry_id,created_at")
    assert AuditEntry.objects.filter(action="audit_export.downloaded", actor_label="cora").exists()
    # Support staff may neither request nor download exports.
    client.force_login(staff_user("support"))
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:audit_auditexport_add")).status_code == 403
