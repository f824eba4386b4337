"""Merchant API authentication: `Authorization: Bearer <key>` (or HTTP Basic with the key as the
user name, as `curl -u sk_test_…:` sends it). Sets request.merchant, request.livemode, request.api_key."""

import base64
import hmac
from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication

from apps.core import hotcache, throttling
from apps.core.errors import AuthenticationError

from .cache import api_key_cached, api_key_write_back
from .errors import AccountSuspended, ApiKeyExpired, ApiKeyRevoked
from .models import ApiKey
from .services import PREFIX_KIND, hash_key

LAST_USED_RESOLUTION = timedelta(minutes=1)


class MerchantPrincipal:
    """What DRF sees as `request.user` for an API key."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.merchant = api_key.merchant
        self.pk = None

    def __str__(self) -> str:
        return f"api_key:{self.api_key.public_id}"


def _extract_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            raise AuthenticationError("Malformed Basic authorization header.") from None
    raise AuthenticationError("Use 'Authorization: Bearer <your API key>'.")


# lookup -> the key's public id, once a request authenticated with it (neither ever changes):
# the next request can count itself against the rate limit in its prefetch.
_PUBLIC_IDS: dict[str, str] = {}
_PUBLIC_IDS_MAX = 4096


def _lookup(raw: str) -> str | None:
    parts = raw.split("_", 2)
    if (
        len(parts) != 3
        or parts[0] not in PREFIX_KIND
        or parts[1] not in ("test", "live")
        or len(parts[2]) < 12
    ):
        return None
    return parts[2][:12]


def _prefetch(request, lookup: str) -> None:
    """The request's one Redis round trip for its reads (``hotcache.prefetch``): what the last
    request with this key on this route read, and the rate limit's count when the view applies
    it and the key's public id is known."""
    match = getattr(request._request, "resolver_match", None)
    kind = (lookup, request.method, match.route if match is not None else request.path)
    public_id = _PUBLIC_IDS.get(lookup)
    view = (getattr(request, "parser_context", None) or {}).get("view")
    queue = done = None
    throttled = view is not None and any(
        issubclass(t, throttling.ApiKeyRateThrottle) for t in getattr(view, "throttle_classes", ())
    )
    if public_id is not None and throttled:
        queue, done = throttling.count_in_prefetch(request, public_id)
    replies = hotcache.prefetch(kind, extra=queue)
    if done is not None and replies is not None:
        done(replies)


def authenticate_key(raw: str, request=None) -> ApiKey:
    """``request`` (DRF's): open its Redis prefetch on the way."""
    invalid = AuthenticationError(f"Invalid API Key provided: {raw[:12]}{'*' * 8}")
    lookup = _lookup(raw)
    if lookup is None:
        raise invalid
    if request is not None:
        _prefetch(request, lookup)
        try:
            key = _authenticate(raw, lookup, invalid)
        except Exception:
            throttling.uncount_prefetched(request)
            raise
        if len(_PUBLIC_IDS) >= _PUBLIC_IDS_MAX:
            _PUBLIC_IDS.clear()
        _PUBLIC_IDS[lookup] = key.public_id
        return key
    return _authenticate(raw, lookup, invalid)


def _authenticate(raw: str, lookup: str, invalid: AuthenticationError) -> ApiKey:
    # The key with its merchant and the merchant's settings (the payment path reads them on every
    # request: limits, capture method, settlement delay), from the versioned cache (cache.py).
    key = api_key_cached(lookup)
    if key is None or not hmac.compare_digest(key.hashed_key, hash_key(raw)):
        raise invalid
    if key.revoked_at is not None:
        raise ApiKeyRevoked()
    now = timezone.now()
    if key.expires_at is not None and key.expires_at <= now:
        raise ApiKeyExpired()
    if not key.merchant.is_active:
        raise AccountSuspended()
    # Bounded write: at most once a minute per key, so the hot path does not update a row each request.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        api_key_write_back(key)
    return key


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = _extract_key(request)
        if raw is None:
            return None
        key = authenticate_key(raw, request)
        for target in (request, request._request):
            target.merchant = key.merchant
            target.livemode = key.livemode
            target.api_key = key
        return MerchantPrincipal(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="Clearhouse"'
