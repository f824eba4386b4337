"""Signing secrets at rest: AES-256-GCM under FIELD_ENCRYPTION_KEYS ("v1:<base64 32 bytes>,v2:…").

The last listed key encrypts; every listed key decrypts, so keys rotate by appending a new one
(and re-encrypting at leisure). Ciphertexts are `<version>:<base64 nonce|ciphertext|tag>` and are
bound to the row they belong to through the associated data, so one row's secret pasted into
another row does not decrypt.
"""

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


def _keys() -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for item in settings.FIELD_ENCRYPTION_KEYS.split(","):
        version, sep, material = item.strip().partition(":")
        if not sep:
            raise ValueError("FIELD_ENCRYPTION_KEYS entries must look like v1:<base64 32 bytes>")
        raw = base64.b64decode(material)
        if len(raw) != 32:
            raise ValueError(f"FIELD_ENCRYPTION_KEYS key {version} must be 32 bytes")
        keys[version] = raw
    return keys


def encrypt(plaintext: str, *, context: str) -> str:
    keys = _keys()
    version = list(keys)[-1]
    nonce = os.urandom(12)
    sealed = AESGCM(keys[version]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{version}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    version, _, payload = token.partition(":")
    raw = base64.b64decode(payload)
    key = _keys().get(version)
    if key is None:
        raise ValueError(f"No FIELD_ENCRYPTION_KEYS entry for {version!r}")
    return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
