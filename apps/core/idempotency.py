"""Database-backed idempotency for POSTs (DESIGN.md §2).

The first request inserts a `started` row (its own committed statement, so every process sees
it); a duplicate that arrives while the first is running waits up to IDEMPOTENCY_WAIT_SECONDS
for the outcome and replays it, or answers 409 if the first is still running. The same key with
other parameters answers 400 `idempotency_error`.
"""

import contextlib
import hashlib
import hmac
import json
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .errors import IdempotencyError, IdempotencyKeyInUse, ParameterInvalid
from .models import IdempotencyKey
from .sql import WriteBatch, hot_sql_enabled
from .text import is_unsafe

MAX_KEY_LENGTH = 255


def _fingerprint_key() -> bytes:
    return hashlib.sha256(b"clearhouse/idempotency-fingerprint/" + settings.SECRET_KEY.encode()).digest()


def request_fingerprint(*, method: str, path: str, data) -> str:
    """Keyed HMAC of the canonical request. Bodies can hold a card number (tokenization), so a
    plain hash would be brute-forceable from a known BIN and last4; the key never leaves the process."""
    if hasattr(data, "lists"):
        data = {k: v if len(v) > 1 else v[0] for k, v in data.lists()}
    canonical = json.dumps(
        {"m": method, "p": path, "d": data}, sort_keys=True, default=str, separators=(",", ":")
    )
    return hmac.new(_fingerprint_key(), canonical.encode(), hashlib.sha256).hexdigest()


def idempotency_begin(*, merchant, livemode: bool, key: str, method: str, path: str, request_hash: str):
    """Returns (record, None) when this request should run, or (None, stored_row) to replay."""
    if not key or len(key) > MAX_KEY_LENGTH or is_unsafe(key):
        raise ParameterInvalid(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters, without NUL.", param="Idempotency-Key"
        )
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        now = timezone.now()
        try:
            # In autocommit a lone INSERT is its own transaction; a savepoint is only needed
            # when a caller (a test) already holds one open.
            in_block = connection.in_atomic_block
            with transaction.atomic() if in_block else contextlib.nullcontext():
                record = IdempotencyKey(
                    merchant=merchant,
                    livemode=livemode,
                    key=key,
                    request_method=method,
                    request_path=path,
                    request_hash=request_hash,
                    expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS),
                )
                _insert(record)
            return record, None
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(merchant=merchant, livemode=livemode, key=key).first()
        if existing is None:
            continue  # purged between our insert and read: try again
        if existing.expires_at <= now:
            IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyError(key=key)
        if existing.status == IdempotencyKey.Status.COMPLETED:
            return None, existing
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInUse()
        time.sleep(0.05)


def _insert(record: IdempotencyKey) -> None:
    """The claim's INSERT. PostgreSQL: one statement without Django's SQL compiler (issue 21:
    every POST pays it), with the row ``save(force_insert=True)`` would write; the unique key
    still answers a duplicate with IntegrityError."""
    if hot_sql_enabled():
        batch = WriteBatch()
        batch.insert([record])
        batch.execute()
    else:
        record.save(force_insert=True)


def idempotency_finish(record: IdempotencyKey, *, status: int, body) -> None:
    if hot_sql_enabled():  # the UPDATE below, without Django's SQL compiler (issue 21)
        record.status = IdempotencyKey.Status.COMPLETED
        record.response_status = status
        record.response_body = body
        batch = WriteBatch()
        batch.update(record, ["status", "response_status", "response_body"])  # + updated_at (auto_now)
        batch.execute()
        return
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status=IdempotencyKey.Status.COMPLETED,
        response_status=status,
        response_body=body,
        updated_at=timezone.now(),
    )


def idempotency_abandon(record: IdempotencyKey) -> None:
    """Validation refused the request before anything ran: forget the key so it can be reused."""
    IdempotencyKey.objects.filter(pk=record.pk, status=IdempotencyKey.Status.STARTED).delete()


def idempotency_keys_purge(*, batch_size: int = 5000) -> int:
    deleted = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
