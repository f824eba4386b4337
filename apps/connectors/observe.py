"""What the gateway learns from each provider call, kept outside the database so the payment
path pays no query for it: the call log (a bounded ring per connector), the per-connector
counters behind the authorization rate and the latency, the circuit breaker, and the Prometheus
metrics at ``/metrics``.

All of it lives in the cache (Redis in production, shared by every process; the local-memory
cache of the embedded demo is per process). Losing it loses history, never money: the charges
are the record of what happened.

The circuit breaker: provider errors (timeouts, 5xx, unknown outcomes) and calls slower than
``SLOW_CALL_MS`` count as failures in a sliding window of ``WINDOW_SECONDS``. With at least
``MIN_CALLS`` calls and a failure rate of ``FAILURE_RATE`` or more the circuit opens for
``OPEN_SECONDS``: routing skips the connector (``circuit_open``). After that it is half open:
routing may send it traffic again, and the first call (or a health probe, e.g. the admin's
"test") decides — a success closes the circuit, a failure opens it again. Declines are answers,
not failures.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import cache
from prometheus_client import Counter, Histogram

from apps.core import hotcache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
BUCKET_SECONDS = 10
MIN_CALLS = 5
FAILURE_RATE = 0.5
SLOW_CALL_MS = 4000
OPEN_SECONDS = 30
LOG_SIZE = 200
STATS_TTL = 7 * 24 * 3600

# Operations whose failures say something about the provider's health.
BREAKER_OPERATIONS = {"authorize", "start_redirect", "complete_action", "capture", "void", "refund", "health"}

CALLS = Counter(
    "clearhouse_connector_calls_total",
    "Provider calls through the gateway, by connector, provider, operation and outcome.",
    ["connector", "provider", "operation", "outcome"],
)
LATENCY = Histogram(
    "clearhouse_connector_call_seconds",
    "Latency of provider calls through the gateway.",
    ["connector", "provider", "operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CIRCUIT_OPENED = Counter(
    "clearhouse_connector_circuit_opened_total", "Times a connector's circuit opened.", ["connector"]
)

# --- redaction ----------------------------------------------------------------------------------

# source_id / encrypted_card: the card a provider's browser SDK tokenized (Square's cnon:…,
# Verifone.js's encrypted card), as payment credentials as a number.
_SENSITIVE_KEYS = re.compile(
    r"number|cvc|cvv|pan|secret|password|credential|api_key|token|authorization|source_id|encrypted_card",
    re.I,
)
_DIGIT_RUN = re.compile(r"\d[\d \-]{11,22}\d")
# The CVC under the providers' own names: APS card_security_code, Adyen encryptedSecurityCode,
# CSC, card CID (cvc/cvv above cover Stripe card[cvc], Checkout source.cvv, Helcim cardCVV).
_SECURITY_CODE_KEYS = re.compile(r"security_?code|\bcsc\b|card_?cid", re.I)


def redact(value: Any, *, depth: int = 0) -> Any:
    """A copy safe to store and show: sensitive keys dropped to "[redacted]", card-number-like
    digit runs scrubbed from strings, depth and size bounded."""
    if depth > 6:
        return "[truncated]"
    if isinstance(value, Mapping):
        out = {}
        for key, item in list(value.items())[:50]:
            name = str(key)
            sensitive = _SENSITIVE_KEYS.search(name) or _SECURITY_CODE_KEYS.search(name)
            out[name] = "[redacted]" if sensitive else redact(item, depth=depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(item, depth=depth + 1) for item in list(value)[:50]]
    if isinstance(value, str):
        return _DIGIT_RUN.sub("[redacted]", value)[:500]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _DIGIT_RUN.sub("[redacted]", str(value))[:500]


def request_summary(request) -> dict:
    """What a call log keeps of a PaymentRequest: never the card number, CVC or billing data."""
    card = getattr(request, "card", None)
    return {
        "idempotency_key": request.idempotency_key,
        "reference": request.reference,
        "amount": request.amount,
        "currency": request.currency,
        "payment_method_type": request.payment_method_type,
        "capture": request.capture,
        "off_session": request.off_session,
        "three_ds": request.three_ds,
        "card": {"brand": getattr(card, "brand", "")} if card is not None else None,
    }


# --- cache helpers ------------------------------------------------------------------------------


def _incr(key: str, by: int = 1, timeout: int = STATS_TTL, *, pipe=None) -> int | None:
    """The counter's new value, created with ``timeout`` (kept afterwards). With ``pipe`` (a
    pipeline of django-redis' client, ``_record_pipelined``) the same is queued as INCRBY +
    EXPIRE … NX and the value is the INCRBY's reply (django-redis stores integers raw, so every
    reader reads it unchanged)."""
    if pipe is not None:
        raw = cache.make_key(key)
        pipe.incrby(raw, by)
        pipe.expire(raw, timeout, nx=True)
        return None
    try:
        return cache.incr(key, by)
    except ValueError:
        if cache.add(key, by, timeout=timeout):
            return by
        return cache.incr(key, by)


def _key(connector_id: str, *parts: object) -> str:
    return ":".join(["connector", connector_id, *map(str, parts)])


# --- the call log -------------------------------------------------------------------------------


def _log_append(connector_id: str, entry: dict, *, seq: int | None = None, pipe=None) -> None:
    """``seq``: the log sequence's next value when the caller already counted it (``pipe``: the
    entry is queued on that pipeline)."""
    if seq is None:
        seq = _incr(_key(connector_id, "log", "seq"))
    entry["seq"] = seq
    key, value = _key(connector_id, "log", seq % LOG_SIZE), json.dumps(entry)
    if pipe is not None:
        pipe.set(cache.make_key(key), cache.client.encode(value), ex=STATS_TTL)
    else:
        cache.set(key, value, timeout=STATS_TTL)


def call_log(connector_id: str, *, limit: int = 50) -> list[dict]:
    """The connector's latest provider calls, newest first."""
    keys = [_key(connector_id, "log", slot) for slot in range(LOG_SIZE)]
    redis = _redis_client()
    if redis is None:
        rows = [json.loads(raw) for raw in cache.get_many(keys).values()]
    else:  # JSON as ``_record_pipelined`` stores it, or django-redis' encoding (``_log_append``)
        raws = redis.get_client().mget([cache.make_key(key) for key in keys])
        rows = [json.loads(raw if raw[:1] == b"{" else redis.decode(raw)) for raw in raws if raw is not None]
    rows.sort(key=lambda row: row["seq"], reverse=True)
    return rows[:limit]


# --- stats --------------------------------------------------------------------------------------


def stats(connector_id: str) -> dict:
    """Authorization rate, error rate and mean latency of the connector's authorizations."""
    names = ("auth_total", "auth_approved", "auth_declined", "auth_errors", "auth_latency_ms")
    raw = cache.get_many([_key(connector_id, "stats", name) for name in names])
    values = {name: int(raw.get(_key(connector_id, "stats", name)) or 0) for name in names}
    total = values["auth_total"]
    answered = values["auth_approved"] + values["auth_declined"]
    return {
        "authorizations": total,
        "approved": values["auth_approved"],
        "declined": values["auth_declined"],
        "errors": values["auth_errors"],
        "authorization_rate": round(values["auth_approved"] / answered, 4) if answered else None,
        "error_rate": round(values["auth_errors"] / total, 4) if total else None,
        "mean_latency_ms": round(values["auth_latency_ms"] / total) if total else None,
    }


def _count_authorization(connector_id: str, outcome: str, latency_ms: int, *, pipe=None) -> None:
    _incr(_key(connector_id, "stats", "auth_total"), pipe=pipe)
    _incr(_key(connector_id, "stats", "auth_latency_ms"), latency_ms, pipe=pipe)
    field = {"approved": "auth_approved", "declined": "auth_declined", "error": "auth_errors"}.get(outcome)
    if field:
        _incr(_key(connector_id, "stats", field), pipe=pipe)


# --- the circuit breaker ------------------------------------------------------------------------

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


def circuit_states(connector_ids: Iterable[str], *, now: float | None = None) -> dict[str, str]:
    """closed / open / half_open for each connector, in one cache round trip (none in a request
    whose prefetch read them: ``hotcache.get_many``)."""
    now = time.time() if now is None else now
    ids = list(connector_ids)
    raw = hotcache.get_many([_key(cid, "cb", "open_until") for cid in ids])
    states = {}
    for cid in ids:
        until = raw.get(_key(cid, "cb", "open_until"))
        states[cid] = CLOSED if until is None else (OPEN if float(until) > now else HALF_OPEN)
    return states


def circuit_state(connector_id: str, *, now: float | None = None) -> str:
    return circuit_states([connector_id], now=now)[connector_id]


def circuit_open(connector_id: str, *, now: float | None = None, reason: str = "") -> None:
    now = time.time() if now is None else now
    hotcache.forget([_key(connector_id, "cb", "open_until")])
    cache.set(_key(connector_id, "cb", "open_until"), now + OPEN_SECONDS, timeout=STATS_TTL)
    CIRCUIT_OPENED.labels(connector_id).inc()
    logger.warning("connector %s circuit opened (%s)", connector_id, reason or "failure rate")


def circuit_close(connector_id: str, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    hotcache.forget([_key(connector_id, "cb", "open_until")])
    cache.delete(_key(connector_id, "cb", "open_until"))
    # Failures counted before the close no longer weigh on the window.
    cache.set(_key(connector_id, "cb", "since"), now, timeout=STATS_TTL)
    logger.info("connector %s circuit closed", connector_id)


def _window(connector_id: str, now: float) -> tuple[int, int]:
    current = int(now // BUCKET_SECONDS)
    since = cache.get(_key(connector_id, "cb", "since"))
    first = current - WINDOW_SECONDS // BUCKET_SECONDS + 1
    if since is not None:
        first = max(
            first, int(float(since) // BUCKET_SECONDS) + (0 if float(since) % BUCKET_SECONDS == 0 else 1)
        )
    keys = {
        b: (_key(connector_id, "cb", b, "calls"), _key(connector_id, "cb", b, "fails"))
        for b in range(first, current + 1)
    }
    raw = cache.get_many([k for pair in keys.values() for k in pair])
    calls = sum(int(raw.get(c) or 0) for c, _ in keys.values())
    fails = sum(int(raw.get(f) or 0) for _, f in keys.values())
    return calls, fails


def _count_call(connector_id: str, now: float, *, pipe=None) -> None:
    """A call of a closed circuit, in its window's bucket."""
    _incr(
        _key(connector_id, "cb", int(now // BUCKET_SECONDS), "calls"), timeout=WINDOW_SECONDS * 2, pipe=pipe
    )


def circuit_record(connector_id: str, *, ok: bool, probe: bool = False, now: float | None = None) -> str:
    """Feeds one call's health into the breaker; answers the state after it. A successful
    ``probe`` (a health check) closes an open circuit at once."""
    now = time.time() if now is None else now
    state = circuit_state(connector_id, now=now)
    if state == OPEN and not (probe and ok):
        return state
    if state in (OPEN, HALF_OPEN):
        if ok:
            circuit_close(connector_id, now=now)
            return CLOSED
        circuit_open(connector_id, now=now, reason="probe failed")
        return OPEN
    _count_call(connector_id, now)
    if ok:
        return CLOSED
    _incr(_key(connector_id, "cb", int(now // BUCKET_SECONDS), "fails"), timeout=WINDOW_SECONDS * 2)
    calls, fails = _window(connector_id, now)
    if calls >= MIN_CALLS and fails / calls >= FAILURE_RATE:
        circuit_open(connector_id, now=now, reason=f"{fails}/{calls} failed")
        return OPEN
    return CLOSED


# --- one call -----------------------------------------------------------------------------------


def provider_request_id(result) -> str:
    raw = getattr(result, "raw", None) or {}
    return str(raw.get("request_id") or getattr(result, "gateway_reference", "") or "")[:100]


def record_call(
    connector,
    *,
    operation: str,
    result,
    latency_ms: int,
    request: Mapping[str, Any] | None = None,
    exchanges: list[dict] | None = None,
) -> None:
    """Everything the gateway keeps of one provider call. Never raises: observing a call must
    not turn a provider's answer into an error. ``exchanges``: the HTTP exchanges the adapter
    made (``apps.connectors.http``, already scrubbed of the account's secrets), redacted again."""
    try:
        from .base import result_to_dict

        cid = connector.public_id
        outcome = getattr(result, "outcome", None) or ("none" if result is None else type(result).__name__)
        if operation == "health":
            outcome = "ok" if result.ok else "error"
            response = {"ok": result.ok, "latency_ms": result.latency_ms, "detail": result.detail}
        elif isinstance(result, list):
            outcome, response = "ok", {"lines": len(result)}
        else:
            response = result_to_dict(result) if result is not None else None
        failed = outcome == "error" or latency_ms >= SLOW_CALL_MS
        CALLS.labels(cid, connector.code, operation, outcome).inc()
        LATENCY.labels(cid, connector.code, operation).observe(latency_ms / 1000)
        entry = {
            "operation": operation,
            "outcome": outcome,
            "duration_ms": latency_ms,
            "provider_request_id": provider_request_id(result) if operation != "health" else "",
            "request": redact(request or {}),
            "response": redact(response),
            "exchanges": [redact(entry) for entry in (exchanges or [])[:20]],
            "created": int(time.time()),
        }
        redis = _redis_client()
        if redis is not None:
            _record_pipelined(redis, cid, operation=operation, outcome=outcome, latency_ms=latency_ms,
                              failed=failed, entry=entry)  # fmt: skip
            return
        if operation in ("authorize", "start_redirect"):
            _count_authorization(cid, outcome, latency_ms)
        if operation in BREAKER_OPERATIONS:
            circuit_record(cid, ok=not failed, probe=operation == "health")
        _log_append(cid, entry)
    except Exception:
        logger.exception("could not record the call of connector %s", getattr(connector, "public_id", "?"))


# --- one call, on Redis: one round trip ----------------------------------------------------------

# What ``record_call`` writes through the per-key helpers, in one script (issue 21): the
# authorization counters, the log sequence, the circuit's state and — for a closed circuit and a
# call that did not fail — the call's count in its window bucket, then the log entry in the slot
# the sequence names. The entry is stored as JSON (UTF-8 bytes, not django-redis' pickle) with
# its sequence number written first: ``call_log`` reads both forms.
#   KEYS: log sequence, circuit's open_until, the call bucket, the counters to add to
#   ARGV: stats TTL, bucket TTL, failed (1/0), breaker operation (1/0), the log slots' key
#         prefix, LOG_SIZE, the entry's JSON after its opening brace, then one increment per counter
_RECORD_LUA = """
local ttl = tonumber(ARGV[1])
for i = 4, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[i + 4])
  redis.call('EXPIRE', KEYS[i], ttl, 'NX')
end
local seq = redis.call('INCRBY', KEYS[1], 1)
redis.call('EXPIRE', KEYS[1], ttl, 'NX')
local open_until = false
if ARGV[4] == '1' then
  open_until = redis.call('GET', KEYS[2])
  if not open_until and ARGV[3] == '0' then
    redis.call('INCRBY', KEYS[3], 1)
    redis.call('EXPIRE', KEYS[3], ARGV[2], 'NX')
  end
end
local n = string.format('%d', seq)
redis.call('SET', ARGV[5] .. string.format('%d', seq % tonumber(ARGV[6])), '{"seq":' .. n .. ',' .. ARGV[7], 'EX', ttl)
return {seq, open_until}
"""
_RECORD_SCRIPT: list = []


def _redis_client():
    """django-redis' client of the cache, or None (another backend: the per-key helpers above)."""
    client = hotcache.redis_client()
    return client if client is not None and hasattr(client, "encode") else None


def _record_pipelined(redis, cid: str, *, operation: str, outcome: str, latency_ms: int, failed: bool,
                      entry: dict) -> None:  # fmt: skip
    """``record_call``'s writes in one round trip (``_RECORD_LUA``). A failure or an open
    circuit then takes ``circuit_record``'s own path (it needs the window's counts)."""
    client = redis.get_client(write=True)
    if not _RECORD_SCRIPT:
        _RECORD_SCRIPT.append(client.register_script(_RECORD_LUA))
    now = time.time()
    counters: list[tuple[str, int]] = []
    if operation in ("authorize", "start_redirect"):
        counters.append((_key(cid, "stats", "auth_total"), 1))
        counters.append((_key(cid, "stats", "auth_latency_ms"), latency_ms))
        field = {"approved": "auth_approved", "declined": "auth_declined", "error": "auth_errors"}.get(
            outcome
        )
        if field:
            counters.append((_key(cid, "stats", field), 1))
    breaker = operation in BREAKER_OPERATIONS
    make_key = cache.make_key
    keys = [
        make_key(_key(cid, "log", "seq")),
        make_key(_key(cid, "cb", "open_until")),
        make_key(_key(cid, "cb", int(now // BUCKET_SECONDS), "calls")),
        *(make_key(key) for key, _ in counters),
    ]
    prefix = make_key(_key(cid, "log", ""))
    args = [STATS_TTL, WINDOW_SECONDS * 2, int(failed), int(breaker), prefix, LOG_SIZE, json.dumps(entry)[1:]]
    args.extend(by for _, by in counters)
    seq, open_until = _RECORD_SCRIPT[0](keys=keys, args=args, client=client)
    entry["seq"] = int(seq)
    if breaker and (failed or open_until is not None):
        circuit_record(cid, ok=not failed, probe=operation == "health", now=now)
