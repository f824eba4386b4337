"""Every write to files: an upload (checked, hashed, stored, audited) and file links.

An upload is refused before anything is stored when its purpose, size or content is wrong; the
type comes from the content's first bytes, and a name whose extension says otherwise is refused
too (a renamed executable never passes). The bytes are written first, under a name of ours; the
row and its audit entry commit together, and a failed commit removes the bytes again."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata

from django.core.files.storage import InvalidStorageError, storages
from django.db import transaction

from apps.audit.services import Actor, audit_record
from apps.core.errors import ParameterMissing

from . import limits
from .errors import (
    FileEmpty,
    FileLinkExpiryInvalid,
    FileMissing,
    FilePurposeInvalid,
    FileTooLarge,
    FileTypeMismatch,
    FileTypeUnsupported,
)
from .models import File, FileLink

_NAME_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def files_storage():
    """The `files` storage alias when configured (S3 through django-storages in production),
    else the default storage (MEDIA_ROOT under the var dir)."""
    try:
        return storages["files"]
    except InvalidStorageError:
        return storages["default"]


def _clean_filename(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFC", _NAME_UNSAFE.sub("", base)).strip()
    base = "".join(ch for ch in base if not ("\ud800" <= ch <= "\udfff"))
    return base[-200:] or "upload"


def _check_upload(upload, purpose) -> tuple[str, str, str]:
    """(type, sha256, clean filename) of an acceptable upload; raises the precise refusal."""
    if not purpose:
        raise ParameterMissing("Missing required param: purpose.", param="purpose")
    if purpose not in File.Purpose.values:
        raise FilePurposeInvalid(value=str(purpose)[:64])
    if upload is None or not hasattr(upload, "chunks") or not hasattr(upload, "size"):
        raise FileMissing()
    if not upload.size:
        raise FileEmpty()
    limit = limits.max_file_bytes()
    if upload.size > limit:
        raise FileTooLarge(size=upload.size, purpose=purpose, limit=limit)
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = limits.detect_type(head)
    if kind is None:
        raise FileTypeUnsupported()
    filename = _clean_filename(upload.name)
    extension = filename.rsplit(".", 1)[1].lower() if "." in filename else ""
    if extension and limits.EXTENSIONS.get(extension) != kind:
        raise FileTypeMismatch(extension=extension[:16], detected=kind.upper())
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return kind, digest.hexdigest(), filename


def file_create(*, merchant, livemode: bool, upload, purpose: str, actor: Actor, title: str = "") -> File:
    """Stripe's POST /v1/files."""
    kind, sha256, filename = _check_upload(upload, purpose)
    file = File(
        merchant=merchant, livemode=livemode, purpose=purpose, type=kind, filename=filename,
        title=(title or "")[:255], size=upload.size, sha256=sha256,
    )  # fmt: skip
    file.public_id = _new_id()
    storage = files_storage()
    mode = "live" if livemode else "test"
    stored_name = storage.save(f"{merchant.public_id}/{mode}/{file.public_id}.{kind}", upload)
    file.storage_name = stored_name
    try:
        with transaction.atomic(durable=True):
            file.save()
            audit_record(
                actor=actor, action="file.created", merchant=merchant, obj=file,
                after={"purpose": purpose, "type": kind, "size": file.size, "sha256": sha256, "filename": filename},
            )  # fmt: skip
    except BaseException:
        storage.delete(stored_name)
        raise
    return file


def _new_id() -> str:
    from apps.core.ids import generate_id

    return generate_id(File.ID_PREFIX)


def file_open(file: File):
    """The stored bytes of a file (a File object to stream)."""
    return files_storage().open(file.storage_name, "rb")


def file_link_create(
    *, merchant, livemode: bool, file: File, expires_at: dt.datetime | None, metadata: dict | None, actor: Actor,
    now: dt.datetime,
) -> FileLink:  # fmt: skip
    """Stripe's POST /v1/file_links: a URL anyone holding it may download the file with, until it expires."""
    if expires_at is not None and expires_at <= now:
        raise FileLinkExpiryInvalid()
    with transaction.atomic(durable=True):
        link = FileLink.objects.create(
            merchant=merchant, livemode=livemode, file=file, expires_at=expires_at, metadata=metadata or {}
        )
        audit_record(
            actor=actor, action="file_link.created", merchant=merchant, obj=link,
            after={"file": file.public_id, "expires_at": expires_at.isoformat() if expires_at else None},
        )  # fmt: skip
    return link
