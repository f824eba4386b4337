"""Reads of routing: rule sets for the API and admin, and the routing context of a payment —
the merchant's connector accounts and the active rule-set version in ONE query (the version's
rules come from the cache, keyed by the immutable version row).

With a shared cache (Redis) the whole context — accounts, active version and its rules — is one
versioned entry per tenant (``apps.core.hotcache``), so a payment reads it in the one round trip
that also checks its version; saves and deletes of Connector, RuleSet and RuleSetVersion and
``Connector.objects….update()`` (``connectors_updated``) invalidate it (apps.py)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.db.models import F, QuerySet, Subquery

from apps.connectors.models import Connector
from apps.connectors.services import connector_ensure_sandbox
from apps.core import hotcache
from apps.core.cachekeys import db_namespace
from apps.core.selectors import tenant_get

from .errors import RuleSetVersionMissing
from .models import RuleSet, RuleSetVersion

VERSION_CACHE_SECONDS = 24 * 3600


def rule_set_get(*, merchant, livemode: bool, id: str) -> RuleSet:
    return tenant_get(RuleSet.objects, merchant=merchant, livemode=livemode, id=id, resource="rule_set")


def rule_set_list(*, merchant, livemode: bool) -> QuerySet[RuleSet]:
    return RuleSet.objects.filter(merchant=merchant, livemode=livemode)


def rule_set_version(rule_set: RuleSet, version: int | None = None) -> RuleSetVersion:
    number = version or rule_set.latest_version
    found = RuleSetVersion.objects.filter(rule_set=rule_set, version=number).first()
    if found is None:
        raise RuleSetVersionMissing(rule_set=rule_set.public_id, version=number)
    return found


def version_snapshot(version: RuleSetVersion, rule_set: RuleSet | None = None) -> dict:
    rule_set = rule_set or version.rule_set
    return {
        "id": rule_set.public_id,
        "version": version.version,
        "rules": version.rules,
        "default_fallback": version.default_fallback,
    }


def _cached_snapshot(version_pk: int) -> dict:
    key = f"routing:{db_namespace()}:rule_set_version:{version_pk}"
    snapshot = cache.get(key)
    if snapshot is None:
        version = RuleSetVersion.objects.select_related("rule_set").get(pk=version_pk)
        snapshot = version_snapshot(version)
        cache.set(key, snapshot, timeout=VERSION_CACHE_SECONDS)
    return snapshot


def _mode_allows(connector: Connector, livemode: bool) -> bool:
    from apps.connectors.registry import adapter_class

    try:
        cls = adapter_class(connector.code)
    except LookupError:
        return True  # kept as a candidate; eligibility names it provider_unavailable
    return cls.live_mode if livemode else cls.test_mode


def _context_scope(merchant_id: int, livemode: bool) -> str:
    return f"routing_context:{merchant_id}:{int(bool(livemode))}"


def invalidate_routing_context(tenants) -> None:
    """``tenants``: (merchant id, livemode) pairs whose cached context is outdated."""
    hotcache.invalidate({_context_scope(m, live) for m, live in tenants if m is not None})


_CONNECTOR_ATTNAMES: list[str] = []


def routing_context(*, merchant, livemode: bool) -> tuple[list[Connector], dict | None]:
    """(connector accounts in fallback order, active rule-set snapshot or None)."""
    if not hotcache.enabled():
        return _routing_context_load(merchant=merchant, livemode=livemode)
    if not _CONNECTOR_ATTNAMES:
        _CONNECTOR_ATTNAMES.extend(f.attname for f in Connector._meta.concrete_fields)

    def load():
        # Plain values, not instances: what is stored cannot carry anything a caller later sets
        # on the objects it was given (the entry may be written after this transaction's commit).
        connectors, snapshot = _routing_context_load(merchant=merchant, livemode=livemode)
        return [tuple(getattr(c, a) for a in _CONNECTOR_ATTNAMES) for c in connectors], snapshot

    scope = _context_scope(merchant.pk, livemode)
    (rows, snapshot), _ = hotcache.read_through(scope, scope, load)
    alias = connection.alias
    return [Connector.from_db(alias, _CONNECTOR_ATTNAMES, list(values)) for values in rows], snapshot


def _routing_context_load(*, merchant, livemode: bool) -> tuple[list[Connector], dict | None]:
    active = RuleSetVersion.objects.filter(
        rule_set__merchant=merchant,
        rule_set__livemode=livemode,
        rule_set__active_version=F("version"),
    ).values("pk")[:1]
    rows = list(
        Connector.objects.filter(merchant=merchant, livemode=livemode)
        .annotate(active_rule_set_version=Subquery(active))
        .order_by("-is_default", "created_at", "pk")
    )
    if not rows and not livemode:
        # Test mode always reaches the sandbox: the merchant's implicit account, made on first use.
        rows = [connector_ensure_sandbox(merchant=merchant)]
        version_pk = active.first()
        version_pk = version_pk["pk"] if version_pk else None
    else:
        version_pk = rows[0].active_rule_set_version if rows else None
    connectors = [c for c in rows if _mode_allows(c, livemode)]
    return connectors, (_cached_snapshot(version_pk) if version_pk else None)
