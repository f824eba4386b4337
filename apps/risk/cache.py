"""The members of a tenant's value lists that its active rules name, from the versioned cache
(``apps.core.hotcache``): a payment checks its probed values against them without a query.

One version per tenant (merchant, livemode). Every way a list or an item changes invalidates it:
saves and deletes of ``ValueList`` and ``ValueListItem`` (signals, connected in
``RiskConfig.ready``: the services, the admin and cascading deletes — a model with receivers is
never fast-deleted), and the two models' ``QuerySet.update`` / ``bulk_create`` / ``delete``
(``InvalidatingQuerySet``, their manager). A tenant whose named lists hold more than
``MAX_CACHED_ITEMS`` values is not cached: each payment asks the database for its own values
only, as before.
"""

from __future__ import annotations

from django.db import models

from apps.core import hotcache

MAX_CACHED_ITEMS = 2000
_TOO_MANY = "too_many"


def _scope(merchant_id: int, livemode: bool) -> str:
    return f"risk_lists:{merchant_id}:{int(bool(livemode))}"


def list_items_cached(merchant_id: int, livemode: bool, aliases) -> dict[str, frozenset] | None:
    """{alias: its values} for `aliases`, or None when they hold too many values to cache."""
    from .models import ValueListItem

    aliases = sorted(aliases)

    def load():
        rows = list(
            ValueListItem.objects.filter(
                merchant_id=merchant_id, livemode=livemode, value_list__alias__in=aliases
            ).values_list("value_list__alias", "value")[: MAX_CACHED_ITEMS + 1]
        )
        if len(rows) > MAX_CACHED_ITEMS:
            return _TOO_MANY
        items: dict[str, set] = {}
        for alias, value in rows:
            items.setdefault(alias, set()).add(value)
        return {alias: frozenset(values) for alias, values in items.items()}

    scope = _scope(merchant_id, livemode)
    value, _ = hotcache.read_through(scope, f"{scope}:{','.join(aliases)}", load)
    return None if value == _TOO_MANY else value


def invalidate_tenants(tenants) -> None:
    hotcache.invalidate({_scope(m, live) for m, live in tenants if m is not None})


class InvalidatingQuerySet(models.QuerySet):
    """Bulk writes of lists and items invalidate their tenants (found before the write: the
    filter may name a column the update changes)."""

    def _tenants(self) -> set:
        return set(self.values_list("merchant_id", "livemode"))

    def update(self, **kwargs):
        pks = list(self.values_list("pk", flat=True))
        before = self.model._default_manager.filter(pk__in=pks)._tenants()
        count = super().update(**kwargs)
        invalidate_tenants(before | self.model._default_manager.filter(pk__in=pks)._tenants())
        return count

    def delete(self):
        tenants = self._tenants()
        result = super().delete()
        invalidate_tenants(tenants)
        return result

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        invalidate_tenants({(o.merchant_id, o.livemode) for o in objs})
        return objs


def on_change(sender, instance, **kwargs):
    """post_save / post_delete of ValueList and ValueListItem."""
    invalidate_tenants([(instance.merchant_id, instance.livemode)])
