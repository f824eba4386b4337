"""Per-API-key rate limit: a fixed one-minute window counted with an atomic cache increment
(Redis INCR on the shared cache), so the limit holds across web processes and costs one round
trip per request. The rate is `API_RATE_LIMIT` ("<n>/min")."""

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


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        key = getattr(request, "api_key", None)
        if key is None:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        cache_key = f"ratelimit:{key.public_id}:{window}"
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
