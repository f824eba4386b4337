"""A versioned read-through cache (the shared Redis) for the few rows every API request reads
again: the API key with its merchant and settings, the fee schedule.

An entry is stored as ``(version, value)``; the version lives under its own key and is replaced
by a fresh random token whenever a row behind it changes (``invalidate``). A read fetches the
version and the entry in one round trip (``get_many``) and trusts the entry only when its tag is
the current version. Writers invalidate twice: at once (inside their transaction, so a test's
rolled-back transaction or a reader in this process sees the change) and again on commit, so a
reader that loaded the old row before the commit and stored it meanwhile is outdated by the
second token. A read tags what it stores with the version it saw *before* loading, so it can
never tag an old row with a newer version; a read inside a transaction stores only when that
transaction commits (it may have read its own uncommitted change, which a rollback undoes).

Keys name the database (``db_namespace()``); entries expire after ``ENTRY_TTL`` seconds whatever
happens, which bounds staleness if an invalidation is lost (Redis unreachable at that moment).
When Redis is unreachable reads go to the database, and so do they with a per-process cache
(``locmemcache://``, the development default): another process's invalidation would not reach
it, and a revoked key must not stay valid there.

One round trip for a request's reads (``prefetch``): API-key authentication opens a request's
prefetch with the keys the previous request of the same kind (API key, method, route) read
through this module — its own entry, the fee schedule, routing's and risk's contexts, the
circuits — and the rate limit's counter, all in one pipeline. A read answered from it is the
value as it stood at the request's start, served once (a second read of the key goes to Redis);
an invalidation or a write in the request drops the key from it, and the request's end
(``request_finished``) drops the rest. A key the request did not read last time is read as
before, and learnt for the next one.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .cachekeys import db_namespace

logger = logging.getLogger(__name__)

ENTRY_TTL = 60  # seconds; also the longest an invalidation lost to a Redis outage can matter
VERSION_TTL = 86_400  # must outlive every entry (a missing version never matches a stored tag)
_MISSING = object()


_PER_PROCESS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def enabled() -> bool:
    """Only with a cache every process shares (Redis)."""
    return settings.CACHES["default"]["BACKEND"] not in _PER_PROCESS


def _version_key(scope: str) -> str:
    return f"hot:v:{db_namespace()}:{scope}"


_SCHEMA: list[str] = []


def _schema() -> str:
    """A digest of every model's columns: entries hold pickled model instances, and a process
    running other code (a deploy that added a column) must not read the old shape."""
    if not _SCHEMA:
        import hashlib

        from django.apps import apps

        shape = sorted(
            f"{m._meta.label}.{f.attname}" for m in apps.get_models() for f in m._meta.concrete_fields
        )
        _SCHEMA.append(hashlib.blake2b("|".join(shape).encode(), digest_size=6).hexdigest())
    return _SCHEMA[0]


def _entry_key(key: str) -> str:
    return f"hot:e:{db_namespace()}:{_schema()}:{key}"


def read_through(
    scope: str, key: str, load: Callable[[], Any], *, cache_none: bool = True
) -> tuple[Any, Any]:
    """(value, version): the cached value of ``key`` when its tag is ``scope``'s current version,
    else ``load()`` (stored with the version read before loading). The version is what
    ``write_back`` needs to store a changed copy safely."""
    if not enabled():
        return load(), _MISSING
    vkey, ekey = _version_key(scope), _entry_key(key)
    try:
        got = get_many([vkey, ekey])
    except Exception:  # Redis down: the database answers
        logger.warning("hot cache unreachable, reading %s from the database", scope, exc_info=True)
        return load(), _MISSING
    version, entry = got.get(vkey), got.get(ekey)
    if entry is not None and entry[0] == version:
        return entry[1], version
    value = load()
    if value is not None or cache_none:
        if transaction.get_connection().in_atomic_block:
            # What this transaction read may be its own uncommitted write: stored only if it commits.
            transaction.on_commit(lambda: write_back(key, version, value))
        else:
            write_back(key, version, value)
    return value, version


def write_back(key: str, version, value) -> None:
    """Stores ``value`` tagged with ``version`` (the one ``read_through`` returned): if the scope
    was invalidated since, the tag is already stale and the entry is never trusted."""
    if version is _MISSING:
        return
    ekey = _entry_key(key)
    forget([ekey])
    try:
        cache.set(ekey, (version, value), ENTRY_TTL)
    except Exception:
        logger.warning("hot cache unreachable, %s not stored", key, exc_info=True)


def invalidate(scopes: Iterable[str]) -> None:
    """New versions for ``scopes``, now and again when the current transaction commits."""
    if not enabled():
        return
    keys = [_version_key(scope) for scope in scopes]
    if not keys:
        return
    forget(keys)

    def renew():
        try:
            cache.set_many({k: secrets.token_hex(8) for k in keys}, VERSION_TTL)
        except Exception:
            logger.error("hot cache unreachable: %d entries stay valid up to %d s", len(keys), ENTRY_TTL)

    renew()
    transaction.on_commit(renew)


# --- one round trip for a request's reads -----------------------------------------------------

_LEARNT_PER_KIND = 24  # keys remembered per request kind (the newest; a key read again moves up)
_LEARNT_KINDS = 4096  # request kinds remembered per process (then forgotten all at once)
_learnt: dict[tuple, dict[str, None]] = {}
_learning = threading.Lock()
_request = threading.local()  # .values: {key: value or _MISSING} prefetched; .kind: learning for


def redis_client():
    """django-redis' client of the cache, or None (another backend)."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client") or not hasattr(client, "decode"):
        return None
    return client


def prefetch(kind: tuple, keys: Iterable[str] = (), extra: Callable | None = None):
    """Opens this thread's request prefetch: one pipeline reading ``keys`` and every key the last
    request of ``kind`` read through ``get_many``; ``extra(pipe, make_key)`` may queue commands
    of its own after them. Answers the replies to those commands (a list), or None without a
    Redis cache or when Redis fails: then nothing is prefetched, ``extra``'s commands may not
    have run, and every read goes to Redis as before."""
    request_end()
    if not enabled():
        return None
    redis = redis_client()
    if redis is None:
        return None
    with _learning:
        wanted = list(dict.fromkeys([*keys, *_learnt.get(kind, ())]))
    make = cache.make_key
    values = {}
    try:
        pipe = redis.get_client(write=True).pipeline(transaction=False)
        if wanted:
            pipe.mget([make(k) for k in wanted])
        if extra is not None:
            extra(pipe, make)
        replies = pipe.execute()
        if wanted:
            decode = redis.decode
            values = {
                k: _MISSING if raw is None else decode(raw) for k, raw in zip(wanted, replies[0], strict=True)
            }
            replies = replies[1:]
    except Exception:
        logger.warning("hot cache unreachable, no prefetch", exc_info=True)
        return None
    _request.values = values
    _request.kind = kind
    return replies


def get_many(keys: list[str]) -> dict:
    """``cache.get_many(keys)``, from this request's prefetch when it holds every one of them
    (each served once); learnt for the next request of this kind."""
    kind = getattr(_request, "kind", None)
    if kind is None:
        return cache.get_many(keys)
    with _learning:
        learnt = _learnt.get(kind)
        if learnt is None:
            if len(_learnt) >= _LEARNT_KINDS:
                _learnt.clear()
            learnt = _learnt[kind] = {}
        for k in keys:
            learnt.pop(k, None)
            learnt[k] = None
        while len(learnt) > _LEARNT_PER_KIND:
            del learnt[next(iter(learnt))]
    values = _request.values
    if all(k in values for k in keys):
        got = {k: values.pop(k) for k in keys}
        return {k: v for k, v in got.items() if v is not _MISSING}
    forget(keys)
    return cache.get_many(keys)


def forget(keys: Iterable[str]) -> None:
    """Drops ``keys`` from this request's prefetch (they are being written)."""
    values = getattr(_request, "values", None)
    if values:
        for k in keys:
            values.pop(k, None)


def request_end(**kwargs) -> None:
    """Closes this thread's prefetch (``request_finished``)."""
    _request.values = {}
    _request.kind = None
