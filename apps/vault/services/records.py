"""Vault records: a number encrypted into its own envelope, bound to its merchant, id and kind.

A card or bank number is validated, then encrypted at once into a `VaultRecord`; only display
facts and a keyed fingerprint reach `PaymentMethod`/`Token`. Reading one back is
`vault_detokenize`'s job (services/detokenize.py).
"""

from __future__ import annotations

import json

from django.utils import timezone

from apps.core.ids import generate_id
from apps.vault import crypto
from apps.vault.models import VaultRecord


def _aad(*, merchant_public_id: str, record_public_id: str, kind: str) -> bytes:
    return f"clearhouse.vault.v1|{merchant_public_id}|{record_public_id}|{kind}".encode()


def _record_aad(record: VaultRecord) -> bytes:
    return _aad(
        merchant_public_id=record.merchant.public_id, record_public_id=record.public_id, kind=record.kind
    )


def vault_record_store(*, merchant, livemode: bool, kind: str, secret: dict) -> VaultRecord:
    """Encrypt `secret` into a new record (in the caller's transaction)."""
    record = VaultRecord(
        merchant=merchant, livemode=livemode, kind=kind, public_id=generate_id(VaultRecord.ID_PREFIX)
    )
    envelope = crypto.encrypt(
        json.dumps(secret, separators=(",", ":")).encode(),
        aad=_aad(merchant_public_id=merchant.public_id, record_public_id=record.public_id, kind=kind),
        livemode=livemode,
    )
    record.kek_version = envelope.kek_version
    record.wrapped_key = envelope.wrapped_key
    record.nonce = envelope.nonce
    record.ciphertext = envelope.ciphertext
    record.save()
    return record


def vault_record_reseal(*, record: VaultRecord, secret: dict) -> None:
    """Replace ``record``'s secret by ``secret`` under a fresh data key (same id, kind and binding;
    the caller holds the row lock): the old ciphertext, and what only it held, is gone."""
    envelope = crypto.encrypt(
        json.dumps(secret, separators=(",", ":")).encode(), aad=_record_aad(record), livemode=record.livemode
    )
    record.kek_version = envelope.kek_version
    record.wrapped_key = envelope.wrapped_key
    record.nonce = envelope.nonce
    record.ciphertext = envelope.ciphertext
    record.save(update_fields=["kek_version", "wrapped_key", "nonce", "ciphertext"])


def _envelope(record: VaultRecord) -> crypto.Envelope:
    return crypto.Envelope(
        kek_version=record.kek_version,
        wrapped_key=bytes(record.wrapped_key),
        nonce=bytes(record.nonce),
        ciphertext=bytes(record.ciphertext),
    )


def vault_record_read(record: VaultRecord) -> dict:
    """The decrypted secret. Only `vault_detokenize` calls it, after its checks and audit."""
    return json.loads(crypto.decrypt(_envelope(record), aad=_record_aad(record)))


def vault_record_rotate(*, record: VaultRecord, to_version: str | None = None) -> bool:
    """Re-wrap one record's data key under `to_version` (default: the active key). The caller
    holds the row lock. Returns False when the record already uses that version."""
    envelope = _envelope(record)
    rotated = crypto.rewrap(envelope, to_version=to_version, livemode=record.livemode)
    if rotated is envelope:
        return False
    record.kek_version = rotated.kek_version
    record.wrapped_key = rotated.wrapped_key
    record.rotated_at = timezone.now()
    return True


def vault_fingerprint(merchant, kind: str, value: str) -> str:
    """The keyed fingerprint of a number: equal for the same number within one merchant only."""
    return crypto.fingerprint(f"{kind}:{value}", merchant_id=merchant.public_id)
