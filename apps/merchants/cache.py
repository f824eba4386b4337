"""What API-key authentication reads on every request (the key, its merchant, the merchant's
settings) comes from the versioned cache (``apps.core.hotcache``); one version per key lookup.

Every way these rows change invalidates: saves and deletes (signals, connected in
``MerchantsConfig.ready``) and ``QuerySet.update`` (``InvalidatingQuerySet``, the models'
manager). The key's own bookkeeping columns (``last_used_at``, ``last_stripe_version``) are
written through by the authentication code instead (``api_key_write_back``), so they do not
invalidate the entry once a minute.
"""

from __future__ import annotations

from django.db import models

from apps.core import hotcache

# Columns of ApiKey the request path itself writes (and writes back to the entry).
BOOKKEEPING = frozenset({"last_used_at", "last_stripe_version", "updated_at"})


def _scope(lookup: str) -> str:
    return f"api_key:{lookup}"


def api_key_cached(lookup: str):
    """The ApiKey with ``merchant`` and ``merchant.settings`` loaded, or None."""
    from .models import ApiKey

    def load():
        return ApiKey.objects.select_related("merchant", "merchant__settings").filter(lookup=lookup).first()

    key, version = hotcache.read_through(_scope(lookup), _scope(lookup), load, cache_none=False)
    if key is not None:
        key._hot_version = version
    return key


def api_key_write_back(key) -> None:
    """After the request path updated the key's bookkeeping columns on ``key`` and in the row."""
    version = getattr(key, "_hot_version", None)
    if version is not None:
        hotcache.write_back(_scope(key.lookup), version, key)


def invalidate_lookups(lookups) -> None:
    hotcache.invalidate(_scope(lookup) for lookup in lookups)


def invalidate_merchants(merchant_ids) -> None:
    from .models import ApiKey

    ids = [m for m in merchant_ids if m is not None]
    if ids:
        invalidate_lookups(ApiKey.objects.filter(merchant_id__in=ids).values_list("lookup", flat=True))


class InvalidatingQuerySet(models.QuerySet):
    """``update()`` invalidates the cached keys of the rows it changes (found before the update:
    the filter may name a column the update changes)."""

    merchant_path: str = "merchant_id"  # how a row names its merchant
    quiet_fields: frozenset = frozenset()

    def update(self, **kwargs):
        if set(kwargs) <= self.quiet_fields:
            return super().update(**kwargs)
        merchants = set(self.values_list(self.merchant_path, flat=True))
        count = super().update(**kwargs)
        invalidate_merchants(merchants)
        return count


class MerchantQuerySet(InvalidatingQuerySet):
    merchant_path = "pk"


class MerchantSettingsQuerySet(InvalidatingQuerySet):
    pass


class ApiKeyQuerySet(InvalidatingQuerySet):
    quiet_fields = BOOKKEEPING

    def update(self, **kwargs):
        if set(kwargs) <= self.quiet_fields:
            return super(InvalidatingQuerySet, self).update(**kwargs)
        lookups = list(self.values_list("lookup", flat=True))
        count = super(InvalidatingQuerySet, self).update(**kwargs)
        invalidate_lookups(lookups)
        return count


def on_change(sender, instance, **kwargs):
    """post_save / post_delete of Merchant, MerchantSettings, ApiKey."""
    from .models import ApiKey, Merchant

    if sender is ApiKey:
        fields = kwargs.get("update_fields")
        if fields is not None and set(fields) <= BOOKKEEPING:
            return
        invalidate_lookups([instance.lookup])
    elif sender is Merchant:
        invalidate_merchants([instance.pk])
    else:
        invalidate_merchants([instance.merchant_id])
