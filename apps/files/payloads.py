"""The public shape of a file and a file link (Stripe's field names)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from apps.core.payloads import unix

from . import limits
from .models import File, FileLink
from .signing import download_token


def download_path(object_id: str, expires_at: dt.datetime | None) -> str:
    return reverse("file-download", args=[download_token(object_id=object_id, expires_at=expires_at)])


def file_to_dict(file: File, *, base_url: str = "") -> dict:
    expires = timezone.now() + dt.timedelta(seconds=limits.download_url_max_age())
    return {
        "id": file.public_id,
        "object": "file",
        "created": unix(file.created_at),
        "expires_at": unix(file.expires_at),
        "filename": file.filename,
        "links": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/file_links?file={file.public_id}",
        },
        "purpose": file.purpose,
        "size": file.size,
        "title": file.title or None,
        "type": file.type,
        # A signed URL that expires (FILES_URL_MAX_AGE seconds); the API key is not needed to follow it.
        "url": base_url + download_path(file.public_id, expires),
    }


def file_link_to_dict(link: FileLink, *, base_url: str = "") -> dict:
    expired = link.expires_at is not None and link.expires_at <= timezone.now()
    return {
        "id": link.public_id,
        "object": "file_link",
        "created": unix(link.created_at),
        "expired": expired,
        "expires_at": unix(link.expires_at),
        "file": link.file.public_id,
        "livemode": link.livemode,
        "metadata": link.metadata or {},
        "url": None if expired else base_url + download_path(link.public_id, link.expires_at),
    }
