"""The one way to write an audit entry. Call it inside the transaction of the change it records."""

import hashlib
import json
import tempfile
from dataclasses import dataclass

from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.context import get_client_ip, get_request_id

from . import export as chained
from .errors import AuditExportDateRangeInvalid
from .models import AuditEntry, AuditExport
from .tasks import audit_export_run_task


@dataclass(frozen=True)
class Actor:
    type: str
    id: str
    label: str

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(type=AuditEntry.ActorType.STAFF, id=str(user.pk), label=user.get_username())

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(type=AuditEntry.ActorType.SYSTEM, id="", label=name)

    @classmethod
    def from_request(cls, request) -> "Actor":
        key = getattr(request, "api_key", None)
        if key is not None:
            return cls(type=AuditEntry.ActorType.API_KEY, id=key.public_id, label=f"{key.display_prefix}…")
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None):
            return cls.staff(user)
        return cls.system("anonymous")


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_record(
    *,
    actor: Actor,
    action: str,
    merchant=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    entry = audit_entry_build(
        actor=actor, action=action, merchant=merchant, obj=obj, object_type=object_type,
        object_id=object_id, before=before, after=after, reason=reason,
    )  # fmt: skip
    entry.save(force_insert=True)
    return entry


def audit_entry_build(
    *,
    actor: Actor,
    action: str,
    merchant=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """The entry `audit_record` writes, unsaved: for a caller that inserts it together with the
    other rows of its transaction (the intents' hot path, apps/core/sql.py)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or getattr(obj, "public_id", "") or str(obj.pk)
    return AuditEntry(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        merchant=merchant,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason or "",
        request_id=get_request_id(),
        ip_address=get_client_ip() or None,
    )


# --- compliance export ----------------------------------------------------------------------

EXPORT_CHUNK_SIZE = 2000
_EXPORT_VALUES = (
    "id",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "merchant__public_id",
    "action",
    "object_type",
    "object_id",
    "reason",
    "request_id",
    "ip_address",
    "before",
    "after",
)


def audit_export_request(
    *,
    user,
    date_from=None,
    date_to=None,
    merchant=None,
    actor: str = "",
    action: str = "",
):
    """Queue a compliance export of audit entries; the request itself is audited."""
    if date_from and date_to and date_from >= date_to:
        raise AuditExportDateRangeInvalid()
    with transaction.atomic():
        export = AuditExport.objects.create(
            requested_by=user,
            requested_by_label=user.get_username(),
            date_from=date_from,
            date_to=date_to,
            merchant=merchant,
            actor=actor.strip(),
            action=action.strip(),
        )
        audit_record(
            actor=Actor.staff(user),
            action="audit_export.requested",
            merchant=merchant,
            obj=export,
            object_type="audit.auditexport",
            object_id=export.public_id,
            after=_export_filters(export),
        )
        transaction.on_commit(lambda: audit_export_run_task.delay(export.pk))
    return export


def _export_filters(export) -> dict:
    return {
        "date_from": export.date_from.isoformat() if export.date_from else None,
        "date_to": export.date_to.isoformat() if export.date_to else None,
        "merchant": export.merchant.public_id if export.merchant_id else None,
        "actor": export.actor or None,
        "action": export.action or None,
    }


def audit_export_queryset(export):
    qs = AuditEntry.objects.all()
    if export.date_from:
        qs = qs.filter(created_at__gte=export.date_from)
    if export.date_to:
        qs = qs.filter(created_at__lt=export.date_to)
    if export.merchant_id:
        qs = qs.filter(merchant_id=export.merchant_id)
    if export.actor:
        qs = qs.filter(Q(actor_label=export.actor) | Q(actor_id=export.actor))
    if export.action:
        qs = (
            qs.filter(action__startswith=export.action)
            if export.action.endswith(".")
            else qs.filter(action=export.action)
        )
    return qs.order_by("id")


def _export_rows(export):
    rows = audit_export_queryset(export).values_list(*_EXPORT_VALUES).iterator(chunk_size=EXPORT_CHUNK_SIZE)
    for values in rows:
        row = dict(zip(_EXPORT_VALUES, values, strict=True))
        yield {
            "entry_id": row["id"],
            "created_at": row["created_at"].isoformat(),
            "actor_type": row["actor_type"],
            "actor_id": row["actor_id"],
            "actor_label": row["actor_label"],
            "merchant": row["merchant__public_id"] or "",
            "action": row["action"],
            "object_type": row["object_type"],
            "object_id": row["object_id"],
            "reason": row["reason"],
            "request_id": row["request_id"],
            "ip_address": row["ip_address"] or "",
            "before": row["before"],
            "after": row["after"],
        }


def _file_sha256(fh) -> str:
    """The digest of a whole temporary file, read in blocks; leaves it rewound for saving."""
    fh.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 16), b""):
        digest.update(block)
    fh.seek(0)
    return digest.hexdigest()


def _export_manifest(export, *, csv: tuple, jsonl: tuple) -> dict:
    """What `verify_audit_export` checks the files against: row counts, final chain hashes and
    file digests. `csv` and `jsonl` are (chain state, sha256) pairs."""
    (csv_state, csv_sha256), (jsonl_state, jsonl_sha256) = csv, jsonl
    return {
        "export_id": export.public_id,
        "format_version": chained.FORMAT_VERSION,
        "hash_algorithm": "sha256; hash_n = sha256(hash_{n-1} + '\\n' + row_without_hash)",
        "genesis_hash": chained.GENESIS,
        "generated_at": timezone.now().isoformat(),
        "requested_by": export.requested_by_label,
        "filters": _export_filters(export),
        "row_count": csv_state.rows,
        "final_hash": csv_state.hash,
        "files": {
            "csv": {
                "name": f"{export.public_id}.csv",
                "rows": csv_state.rows,
                "final_hash": csv_state.hash,
                "sha256": csv_sha256,
            },
            "jsonl": {
                "name": f"{export.public_id}.jsonl",
                "rows": jsonl_state.rows,
                "final_hash": jsonl_state.hash,
                "sha256": jsonl_sha256,
            },
        },
    }


def audit_export_run(*, export_id: int):
    """Stream the matching entries into hash-chained CSV and JSON Lines files (constant memory).

    Safe to run twice: a completed export is left as it is; an interrupted one starts over."""
    with transaction.atomic():
        export = AuditExport.objects.select_for_update().get(pk=export_id)
        if export.status == AuditExport.Status.COMPLETED:
            return export
        export.status = AuditExport.Status.RUNNING
        export.started_at = timezone.now()
        export.error = ""
        export.save(update_fields=["status", "started_at", "error"])
    try:
        with tempfile.TemporaryFile() as csv_fh, tempfile.TemporaryFile() as jsonl_fh:
            csv_state, jsonl_state = chained.entries_to_files(_export_rows(export), csv_fh, jsonl_fh)
            manifest = _export_manifest(
                export,
                csv=(csv_state, _file_sha256(csv_fh)),
                jsonl=(jsonl_state, _file_sha256(jsonl_fh)),
            )
            export.csv_file.save(f"{export.public_id}.csv", File(csv_fh), save=False)
            export.jsonl_file.save(f"{export.public_id}.jsonl", File(jsonl_fh), save=False)
    except Exception as exc:
        AuditExport.objects.filter(pk=export.pk).update(
            status=AuditExport.Status.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        export.status = AuditExport.Status.COMPLETED
        export.row_count = csv_state.rows
        export.final_hash = csv_state.hash
        export.manifest = manifest
        export.finished_at = timezone.now()
        export.save(
            update_fields=[
                "status",
                "row_count",
                "final_hash",
                "manifest",
                "finished_at",
                "csv_file",
                "jsonl_file",
            ]
        )
        audit_record(
            actor=Actor.system("audit_export"),
            action="audit_export.completed",
            merchant=export.merchant,
            object_type="audit.auditexport",
            object_id=export.public_id,
            after={"row_count": export.row_count, "final_hash": export.final_hash},
        )
    return export


def audit_export_downloaded(*, export, user, fmt: str) -> None:
    audit_record(
        actor=Actor.staff(user),
        action="audit_export.downloaded",
        merchant=export.merchant,
        object_type="audit.auditexport",
        object_id=export.public_id,
        after={"format": fmt},
    )
