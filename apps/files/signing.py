"""Download URLs that expire: a signed token naming the file (or the file link) and its expiry.

The token is signed with SECRET_KEY under its own salt, so it cannot be forged or reused for
another object; the download view checks the expiry, then that the object still exists."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.utils import timezone

SALT = "apps.files.download"


def download_token(*, object_id: str, expires_at: dt.datetime | None) -> str:
    return signing.dumps(
        {"o": object_id, "e": int(expires_at.timestamp()) if expires_at else None}, salt=SALT
    )


def read_token(token: str) -> str | None:
    """The object id of a valid, unexpired token; None otherwise."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("o"), str):
        return None
    expires = data.get("e")
    if expires is not None and (not isinstance(expires, int) or expires <= timezone.now().timestamp()):
        return None
    return data["o"]
