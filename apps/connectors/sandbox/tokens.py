"""Deterministic ids and the per-payment fault and latency switches of the sandbox acquirer
(shared by its payment, follow-up and notification parts)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping

from apps.core.limits import ascii_int


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("|".join(parts).encode()).digest()


def _token(prefix: str, *parts: str, length: int = 24) -> str:
    raw = base64.b32encode(_digest(*parts)).decode().lower().rstrip("=")
    return f"{prefix}_{raw[:length]}"


def _fault(metadata: Mapping[str, str] | None, operation: str) -> str:
    value = (metadata or {}).get("sandbox_fault", "") or ""
    op, sep, fault = value.partition(":")
    if not sep:
        op, fault = "authorize", value
    return fault.strip() if op.strip() == operation else ""


def _latency(metadata: Mapping[str, str] | None) -> None:
    raw = (metadata or {}).get("sandbox_latency_ms", "")
    delay = ascii_int(str(raw), minimum=0)
    if delay:
        time.sleep(min(delay, 5000) / 1000)
