"""Connector credentials at rest: MultiFernet over FIELD_ENCRYPTION_KEYS ("v1:<b64 32 bytes>,v2:…",
newest first encrypts; every listed key decrypts, so keys rotate)."""

import base64
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
