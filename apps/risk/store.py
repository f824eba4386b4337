"""Risk's hot-path state in Redis: velocity counters, the card-testing guard, active overrides and
the pointer to the active rule-set version (with the merchant's thresholds).

One evaluation reads and increments everything in **one pipeline** (one round trip). Counters
are fixed-window ``INCR`` + ``EXPIRE`` (atomic in Redis, so concurrent attempts from many
processes all count). The embedded setup without Redis uses Django's cache with the same keys
(``cache.incr`` is atomic per process there, which is all the embedded demo has).

The database stays the record (decisions, overrides, guard blocks); when the pointer is missing
(a cold or flushed Redis) the evaluation rebuilds pointer, overrides and guards from it.
"""

from __future__ import annotations

import hashlib
import json
import time

from django.conf import settings
from django.core.cache import cache

from apps.core.cachekeys import db_namespace

from .rules.attributes import VELOCITY_DIMENSIONS, VELOCITY_WINDOWS

PREFIX = "risk"
OVERRIDE_KINDS = ("payment", "card_fingerprint", "email", "ip_address")
GUARD_KINDS = ("ip_address", "card_fingerprint")


def digest(value: str) -> str:
    """Keys hold a digest, never an e-mail or IP in clear."""
    return hashlib.blake2b(str(value).lower().encode(), digest_size=10).hexdigest()


def namespace() -> str:
    """The database these keys belong to (apps.core.cachekeys): merchant ids of another database,
    or of an earlier incarnation of this one, never meet these counters."""
    return db_namespace()


def _tenant(merchant_id: int, livemode: bool) -> str:
    return f"{PREFIX}:{namespace()}:{merchant_id}:{int(livemode)}"


def pointer_key(merchant_id: int, livemode: bool) -> str:
    return f"{_tenant(merchant_id, livemode)}:active"


def override_key(merchant_id: int, livemode: bool, kind: str, value: str) -> str:
    return f"{_tenant(merchant_id, livemode)}:ovr:{kind}:{digest(value)}"


def guard_key(merchant_id: int, livemode: bool, kind: str, value: str) -> str:
    return f"{_tenant(merchant_id, livemode)}:guard:{kind}:{digest(value)}"


def _counter_key(merchant_id, livemode, kind, dim, value, window, seconds, now) -> str:
    bucket = int(now // seconds)
    return f"{_tenant(merchant_id, livemode)}:{kind}:{dim}:{digest(value)}:{window}:{bucket}"


def _guard_counter_key(merchant_id, livemode, kind, value, seconds, now) -> str:
    return f"{_tenant(merchant_id, livemode)}:ctd:{kind}:{digest(value)}:{int(now // seconds)}"


class _Redis:
    def __init__(self):
        from django_redis import get_redis_connection

        self.conn = get_redis_connection("default")

    def pipeline(self):
        return self.conn.pipeline(transaction=False)


def _redis() -> _Redis | None:
    backend = settings.CACHES["default"]["BACKEND"]
    return _Redis() if backend.startswith("django_redis") else None


class _CachePipeline:
    """The same commands over Django's cache (the embedded setup's locmem or file cache)."""

    def __init__(self):
        self.ops: list = []

    def incr(self, key):
        self.ops.append(("incr", key))

    def expire(self, key, seconds):
        self.ops.append(("expire", key, seconds))

    def get(self, key):
        self.ops.append(("get", key))

    def set(self, key, value, ex=None, nx=False):
        self.ops.append(("set", key, value, ex, nx))

    def delete(self, key):
        self.ops.append(("delete", key))

    def execute(self):
        results = []
        for op in self.ops:
            if op[0] == "incr":
                cache.add(op[1], 0, timeout=86400 * 2)
                results.append(cache.incr(op[1]))
            elif op[0] == "expire":
                results.append(True)
            elif op[0] == "get":
                value = cache.get(op[1])
                results.append(value.encode() if isinstance(value, str) else value)
            elif op[0] == "set":
                _, key, value, ex, nx = op
                results.append(cache.add(key, value, timeout=ex) if nx else cache.set(key, value, timeout=ex))
            elif op[0] == "delete":
                results.append(cache.delete(op[1]))
        return results


def pipeline():
    client = _redis()
    return client.pipeline() if client is not None else _CachePipeline()


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def velocity_values(context_values: dict[str, str | None]) -> list[tuple[str, str]]:
    return [(dim, context_values[dim]) for dim in VELOCITY_DIMENSIONS if context_values.get(dim)]


def evaluate_round_trip(
    *, merchant_id: int, livemode: bool, dims: dict[str, str | None], count_attempt: bool = True
) -> dict:
    """One round trip: the active pointer, this attempt counted (attempts_*), the declines read,
    the overrides and guards that apply to this payment."""
    now = time.time()
    pipe = pipeline()
    plan: list[tuple[str, ...]] = []
    pipe.get(pointer_key(merchant_id, livemode))
    plan.append(("pointer",))
    for dim, value in velocity_values(dims):
        for window, seconds in VELOCITY_WINDOWS.items():
            key = _counter_key(merchant_id, livemode, "attempts", dim, value, window, seconds, now)
            if count_attempt:
                pipe.incr(key)
                pipe.expire(key, seconds + 60)
                plan.extend([(f"attempts_per_{dim}_{window}",), ("skip",)])
            else:
                pipe.get(key)
                plan.append((f"attempts_per_{dim}_{window}",))
            pipe.get(_counter_key(merchant_id, livemode, "declines", dim, value, window, seconds, now))
            plan.append((f"declines_per_{dim}_{window}",))
    for kind in OVERRIDE_KINDS:
        value = dims.get(kind)
        if value:
            pipe.get(override_key(merchant_id, livemode, kind, value))
            plan.append(("override", kind))
    for kind in GUARD_KINDS:
        value = dims.get(kind)
        if value:
            pipe.get(guard_key(merchant_id, livemode, kind, value))
            plan.append(("guard", kind))
    results = pipe.execute()
    answer: dict = {"pointer": None, "counts": {}, "overrides": {}, "guards": {}}
    for step, result in zip(plan, results, strict=True):
        if step[0] == "pointer":
            text = _text(result)
            answer["pointer"] = json.loads(text) if text else None
        elif step[0] == "override":
            text = _text(result)
            if text:
                answer["overrides"][step[1]] = json.loads(text)
        elif step[0] == "guard":
            text = _text(result)
            if text:
                answer["guards"][step[1]] = json.loads(text)
        elif step[0] != "skip":
            answer["counts"][step[0]] = int(_text(result) or 0)
    return answer


def record_decline(
    *,
    merchant_id: int,
    livemode: bool,
    dims: dict[str, str | None],
    guard_window: int,
    threshold: int,
    block_seconds: int,
    guard_value: str,
) -> list[tuple[str, str, int]]:
    """Counts one decline everywhere (one round trip) and trips the guard for each IP or card
    fingerprint whose declines in the guard window reach the threshold. Returns the
    (kind, value, declines) guards this call set (``SET NX``: exactly one caller sets each)."""
    now = time.time()
    pipe = pipeline()
    for dim, value in velocity_values(dims):
        for window, seconds in VELOCITY_WINDOWS.items():
            key = _counter_key(merchant_id, livemode, "declines", dim, value, window, seconds, now)
            pipe.incr(key)
            pipe.expire(key, seconds + 60)
    guarded = [(kind, dims[kind]) for kind in GUARD_KINDS if dims.get(kind)]
    for kind, value in guarded:
        key = _guard_counter_key(merchant_id, livemode, kind, value, guard_window, now)
        pipe.incr(key)
        pipe.expire(key, guard_window + 60)
    results = pipe.execute()
    counts = results[-2 * len(guarded) :: 2] if guarded else []
    tripped = [
        (kind, value, int(count))
        for (kind, value), count in zip(guarded, counts, strict=True)
        if int(count) >= threshold
    ]
    if not tripped:
        return []
    pipe = pipeline()
    for kind, value, _count in tripped:
        pipe.set(guard_key(merchant_id, livemode, kind, value), guard_value, ex=block_seconds, nx=True)
    set_results = pipe.execute()
    return [trip for trip, was_set in zip(tripped, set_results, strict=True) if was_set]


def put(key: str, value: dict | None, *, seconds: int | None = None) -> None:
    pipe = pipeline()
    if value is None:
        pipe.delete(key)
    else:
        pipe.set(key, json.dumps(value), ex=seconds)
    pipe.execute()


def put_many(items: list[tuple[str, dict | None, int | None]]) -> None:
    pipe = pipeline()
    for key, value, seconds in items:
        if value is None:
            pipe.delete(key)
        else:
            pipe.set(key, json.dumps(value), ex=seconds)
    pipe.execute()
