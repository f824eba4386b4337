"""Per-API-key rate limit: a fixed one-minute window counted with an atomic cache increment
(Redis INCR on the shared cache), so the limit holds across web processes and costs one round
trip per request — none of its own when authentication counted the request in its prefetch
(``count_in_prefetch``: the same counter, in the request's one Redis round trip). The rate is
`API_RATE_LIMIT` ("<n>/min")."""

import contextlib
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60


def _limit() -> int:
    raw = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get("merchant") or "6000/min"
    count, _, period = raw.partition("/")
    if period not in ("min", "m", "minute"):
        raise ValueError("API_RATE_LIMIT must be '<requests>/min'")
    return int(count)


def _cache_key(public_id: str, window: int) -> str:
    return f"ratelimit:{public_id}:{window}"


def count_in_prefetch(request, public_id: str):
    """For ``hotcache.prefetch``'s ``extra``: counts this request against ``public_id``'s window
    in the prefetch's pipeline (created with its TTL as ``cache.add`` does, then INCR), and
    returns ``done(replies)``, which hands the count to the throttle (``allow_request``)."""
    now = time.time()
    cache_key = _cache_key(public_id, int(now // WINDOW_SECONDS))

    def queue(pipe, make_key):
        pipe.set(make_key(cache_key), 0, ex=WINDOW_SECONDS + 5, nx=True)
        pipe.incr(make_key(cache_key))

    def done(replies) -> None:
        request._rate_counted = (public_id, now, int(replies[-1]))

    return queue, done


def uncount_prefetched(request) -> None:
    """The request ``count_in_prefetch`` counted failed authentication: it does not count."""
    counted = getattr(request, "_rate_counted", None)
    if counted is None:
        return
    request._rate_counted = None
    public_id, now, _ = counted
    with contextlib.suppress(ValueError):  # the window's counter expired meanwhile
        cache.decr(_cache_key(public_id, int(now // WINDOW_SECONDS)))


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        key = getattr(request, "api_key", None)
        if key is None:
            return True
        counted = getattr(request, "_rate_counted", None)
        if counted is not None and counted[0] == key.public_id:
            _, now, count = counted  # counted by authentication's prefetch
            window = int(now // WINDOW_SECONDS)
        else:
            now = time.time()
            window = int(now // WINDOW_SECONDS)
            cache_key = _cache_key(key.public_id, window)
            try:
                count = cache.incr(cache_key)  # one round trip once the window's counter exists
            except ValueError:  # first request of the window; add fails if another process just did
                count = 1 if cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 5) else cache.incr(cache_key)
        self.limit = _limit()
        self.remaining = max(self.limit - count, 0)
        self.reset = (window + 1) * WINDOW_SECONDS
        request._rate_limit = (self.limit, self.remaining, self.reset)
        self._wait = self.reset - now
        return count <= self.limit

    def wait(self) -> float:
        return self._wait
