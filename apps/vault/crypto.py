"""Envelope encryption for the vault and keyed fingerprints.

Each record gets its own random 256-bit data key (DEK). The plaintext is sealed with
AES-256-GCM under the DEK, with associated data binding the ciphertext to its record
(merchant and record id), so a blob copied onto another row does not decrypt. The DEK is
wrapped with AES key wrap (RFC 3394) under a key-encryption key (KEK) chosen by version.

KEKs come from the environment, never from SECRET_KEY:
    VAULT_KEYS="v1:<base64 32 bytes>,v2:<base64 32 bytes>"
    VAULT_ACTIVE_KEY_VERSION="v2"          # optional; the newest version by default
    VAULT_FINGERPRINT_KEY="<secret>"       # separate key for fingerprints

Rotation adds a new version, makes it active, re-wraps every record's DEK (`rewrap`: the
ciphertext itself is untouched), then the old version can be retired from VAULT_KEYS.

Live-mode data is never sealed under the demo key-encryption key (the one in this repository,
apps.core.demo_secrets): `encrypt(..., livemode=True)` and a live-mode `rewrap` raise
VaultDemoKeyRefused (logged for the operator, a 503 for the client) whatever CLEARHOUSE_ENV says,
so a deployment that skipped the system checks still cannot put a live card under a public key.

Settings are read lazily at call time (never at import). Every function also accepts an
explicit `keyring=` so this module can be used and tested without Django.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from apps.core import demo_secrets
from apps.vault.errors import VaultDecryptionError, VaultDemoKeyRefused, VaultKeyError

logger = logging.getLogger("clearhouse.vault")

__all__ = [
    "Envelope",
    "KeyRing",
    "decrypt",
    "encrypt",
    "fingerprint",
    "generate_key",
    "get_keyring",
    "rewrap",
]

_NONCE_BYTES = 12
_VERSION_RE = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")


@dataclass(frozen=True)
class Envelope:
    kek_version: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes

    def __repr__(self) -> str:
        return f"Envelope(kek_version={self.kek_version!r}, ciphertext=<{len(self.ciphertext)} bytes>)"


def _version_sort_key(version: str) -> tuple:
    # Natural order so that v10 is newer than v9.
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", version))


def generate_key() -> str:
    """A fresh base64 256-bit KEK, for operators preparing a new VAULT_KEYS entry."""
    return base64.b64encode(os.urandom(32)).decode()


class KeyRing:
    """The set of KEKs by version plus the active (writing) version."""

    def __init__(self, keys: dict[str, bytes], active: str | None = None) -> None:
        if not keys:
            raise VaultKeyError("VAULT_KEYS is empty: at least one key-encryption key is required.")
        for version, key in keys.items():
            if not _VERSION_RE.match(version):
                raise VaultKeyError(f"Invalid vault key version name {version!r}.")
            if len(key) != 32:
                raise VaultKeyError(f"Vault key {version!r} must be 32 bytes (got {len(key)}).")
        self._keys = dict(keys)
        newest = max(self._keys, key=_version_sort_key)
        self.active_version = active or newest
        if self.active_version not in self._keys:
            raise VaultKeyError(f"VAULT_ACTIVE_KEY_VERSION {self.active_version!r} is not in VAULT_KEYS.")

    @classmethod
    def from_config(cls, keys: str | dict | None, active: str | None = None) -> KeyRing:
        """Parse "v1:<b64>,v2:<b64>" (or a dict version → base64 / raw bytes)."""
        if keys is None or keys == "" or keys == {}:
            raise VaultKeyError("VAULT_KEYS is not configured.")
        items: list[tuple[str, str | bytes]]
        if isinstance(keys, dict):
            items = list(keys.items())
        elif isinstance(keys, str):
            items = []
            for chunk in keys.split(","):
                chunk = chunk.strip()
                if not chunk:
                    continue
                version, sep, material = chunk.partition(":")
                if not sep:
                    raise VaultKeyError("VAULT_KEYS entries must look like 'v1:<base64 key>'.")
                items.append((version.strip(), material.strip()))
        else:
            raise VaultKeyError("VAULT_KEYS must be a string or a dict.")
        parsed: dict[str, bytes] = {}
        for version, material in items:
            if isinstance(material, bytes) and len(material) == 32:
                parsed[version] = material
                continue
            try:
                parsed[version] = base64.b64decode(material, validate=True)
            except (binascii.Error, ValueError, TypeError) as exc:
                raise VaultKeyError(f"Vault key {version!r} is not valid base64.") from exc
        return cls(parsed, active or None)

    @property
    def versions(self) -> list[str]:
        return sorted(self._keys, key=_version_sort_key)

    def has(self, version: str) -> bool:
        return version in self._keys

    def kek(self, version: str) -> bytes:
        try:
            return self._keys[version]
        except KeyError:
            raise VaultKeyError(
                f"Vault key version {version!r} is not configured (retired before rotation finished?)."
            ) from None

    def is_demo(self, version: str) -> bool:
        """Whether `version` holds the repository's demo key (under any version name)."""
        return hmac.compare_digest(self.kek(version), demo_secrets.VAULT_KEK)

    def __repr__(self) -> str:
        return f"KeyRing(versions={self.versions!r}, active={self.active_version!r})"


@functools.lru_cache(maxsize=8)
def _cached_keyring(keys: str | tuple, active: str | None) -> KeyRing:
    return KeyRing.from_config(dict(keys) if isinstance(keys, tuple) else keys, active)


def get_keyring() -> KeyRing:
    """The keyring from Django settings (read now, not at import)."""
    from django.conf import settings  # lazy on purpose: never read settings at import

    keys = getattr(settings, "VAULT_KEYS", None)
    active = getattr(settings, "VAULT_ACTIVE_KEY_VERSION", None) or None
    cache_key = tuple(sorted(keys.items())) if isinstance(keys, dict) else keys
    return _cached_keyring(cache_key, active)


def _wrap(keyring: KeyRing, version: str, data_key: bytes) -> bytes:
    return aes_key_wrap(keyring.kek(version), data_key)


def _unwrap(keyring: KeyRing, envelope: Envelope) -> bytes:
    try:
        return aes_key_unwrap(keyring.kek(envelope.kek_version), envelope.wrapped_key)
    except InvalidUnwrap as exc:
        raise VaultDecryptionError("The data key could not be unwrapped (wrong key-encryption key).") from exc


def _refuse_demo_key_for_live(keyring: KeyRing, version: str, livemode: bool) -> None:
    if livemode and keyring.is_demo(version):
        logger.error(
            "Refused a live-mode vault write: vault key %s is the demo key from the repository. "
            "Set VAULT_KEYS (and VAULT_ACTIVE_KEY_VERSION) to a fresh key before taking live-mode data.",
            version,
        )
        raise VaultDemoKeyRefused()


def encrypt(
    plaintext: bytes, *, aad: bytes, livemode: bool = False, keyring: KeyRing | None = None
) -> Envelope:
    """Seal `plaintext` under the active key. `livemode=True` refuses the demo key."""
    keyring = keyring or get_keyring()
    version = keyring.active_version
    _refuse_demo_key_for_live(keyring, version, livemode)
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    return Envelope(
        kek_version=version, wrapped_key=_wrap(keyring, version, data_key), nonce=nonce, ciphertext=ciphertext
    )


def decrypt(envelope: Envelope, *, aad: bytes, keyring: KeyRing | None = None) -> bytes:
    keyring = keyring or get_keyring()
    data_key = _unwrap(keyring, envelope)
    try:
        return AESGCM(data_key).decrypt(envelope.nonce, envelope.ciphertext, aad)
    except InvalidTag as exc:
        raise VaultDecryptionError("Ciphertext failed authentication (wrong record or tampered).") from exc


def rewrap(
    envelope: Envelope,
    *,
    to_version: str | None = None,
    livemode: bool = False,
    keyring: KeyRing | None = None,
) -> Envelope:
    """Re-wrap the data key under `to_version` (default: the active version). Ciphertext is
    unchanged. A live-mode record is never re-wrapped under the demo key."""
    keyring = keyring or get_keyring()
    target = to_version or keyring.active_version
    if envelope.kek_version == target:
        return envelope
    _refuse_demo_key_for_live(keyring, target, livemode)
    data_key = _unwrap(keyring, envelope)
    return Envelope(
        kek_version=target,
        wrapped_key=_wrap(keyring, target, data_key),
        nonce=envelope.nonce,
        ciphertext=envelope.ciphertext,
    )


def _fingerprint_key() -> bytes:
    from django.conf import settings  # lazy on purpose: never read settings at import

    key = getattr(settings, "VAULT_FINGERPRINT_KEY", None)
    if not key:
        raise VaultKeyError("VAULT_FINGERPRINT_KEY is not configured.")
    return key if isinstance(key, bytes) else str(key).encode()


def fingerprint(value: str, *, merchant_id: str, key: bytes | None = None) -> str:
    """Keyed fingerprint: the same value gives the same result within one merchant, a
    different one for another merchant, and nothing about the value without the key."""
    key = key or _fingerprint_key()
    message = b"clearhouse.vault.fp.v1\x00" + merchant_id.encode() + b"\x00" + value.encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    # 16 base32 characters (80 bits): short like Stripe's, ample against accidental collisions.
    return base64.b32encode(digest[:10]).decode().rstrip("=")
