"""Public ids: `<prefix>_<ULID>` — opaque, unique and lexicographically time-sortable.

A ULID is 48 bits of milliseconds then 80 random bits in Crockford base32; within one
millisecond of one process the random part is incremented so ids stay strictly increasing.
"""

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def ulid() -> str:
    global _last_ms, _last_rand
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            now = _last_ms
            _last_rand = (_last_rand + 1) & ((1 << 80) - 1)
        else:
            _last_rand = int.from_bytes(os.urandom(10), "big")
        _last_ms = now
        return _encode(now, 10) + _encode(_last_rand, 16)


def generate_id(prefix: str) -> str:
    return f"{prefix}_{ulid()}"


def has_prefix(value: str, prefix: str) -> bool:
    return isinstance(value, str) and value.startswith(prefix + "_") and len(value) == len(prefix) + 27
