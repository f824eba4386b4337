"""Merchant API authentication: `Authorization: Bearer <key>` (or HTTP Basic with the key as the
user name, as `curl -u sk_test_…:` sends it). Sets request.merchant, request.livemode, request.api_key."""

import base64
import hmac
from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication

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


def authenticate_key(raw: str) -> ApiKey:
    invalid = AuthenticationError(f"Invalid API Key provided: {raw[:12]}{'*' * 8}")
    parts = raw.split("_", 2)
    if (
        len(parts) != 3
        or parts[0] not in PREFIX_KIND
        or parts[1] not in ("test", "live")
        or len(parts[2]) < 12
    ):
        raise invalid
    # The key with its merchant and the merchant's settings (the payment path reads them on every
    # request: limits, capture method, settlement delay), from the versioned cache (cache.py).
    key = api_key_cached(parts[2][:12])
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
        key = authenticate_key(raw)
        for target in (request, request._request):
            target.merchant = key.merchant
            target.livemode = key.livemode
            target.api_key = key
        return MerchantPrincipal(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="Clearhouse"'
