"""Connector credentials at rest: MultiFernet over FIELD_ENCRYPTION_KEYS ("v1:<b64 32 bytes>,v2:…",
newest first encrypts; every listed key decrypts, so keys rotate)."""

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    keys = []
    for item in settings.FIELD_ENCRYPTION_KEYS.split(","):
        _, _, material = item.strip().partition(":")
        raw = base64.b64decode(material)
        keys.append(Fernet(base64.urlsafe_b64encode(raw[:32].ljust(32, b"\0"))))
    return MultiFernet(list(reversed(keys)))


def encrypt_credentials(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict:
    return json.loads(_fernet().decrypt(token.encode()))


def _fingerprint_key() -> bytes:
    # Derived from the encryption keys (never SECRET_KEY): the fingerprint names a credential
    # without being a brute-force oracle for it.
    first = settings.FIELD_ENCRYPTION_KEYS.split(",")[0].strip()
    return hmac.new(first.encode(), b"clearhouse.connector.fingerprint", hashlib.sha256).digest()


def credentials_fingerprint(data: dict) -> str:
    mac = hmac.new(_fingerprint_key(), json.dumps(data, sort_keys=True).encode(), hashlib.sha256)
    return f"fp_{mac.hexdigest()[:16]}"


def mask_credentials(data: dict) -> dict:
    """What may be shown of credentials: each field's last 4 characters (only for values of 12
    characters or more, so a short secret is never mostly revealed) and a keyed fingerprint."""
    if not data:
        return {}
    fields = {}
    for name, value in sorted(data.items()):
        text = str(value)
        fields[name] = f"••••{text[-4:]}" if len(text) >= 12 else "••••"
    return {"fields": fields, "fingerprint": credentials_fingerprint(data)}
