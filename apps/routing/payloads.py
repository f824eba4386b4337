"""The public shape of rule sets and of a dry-run decision."""

from __future__ import annotations

from apps.core.payloads import unix

from .models import RuleSet, RuleSetVersion


def rule_set_to_dict(rule_set: RuleSet, version: RuleSetVersion | None = None) -> dict:
    """The rule set with one version's content (default: the latest)."""
    shown = version
    if shown is None:
        shown = next(
            (v for v in getattr(rule_set, "prefetched_versions", []) if v.version == rule_set.latest_version),
            None,
        ) or rule_set.versions.get(version=rule_set.latest_version)
    return {
        "id": rule_set.public_id,
        "object": "routing.rule_set",
        "name": rule_set.name,
        "active": rule_set.active_version is not None,
        "active_version": rule_set.active_version,
        "latest_version": rule_set.latest_version,
        "version": shown.version,
        "rules": shown.rules,
        "default_fallback": shown.default_fallback,
        "version_created": unix(shown.created_at),
        "activated_at": unix(rule_set.activated_at),
        "created": unix(rule_set.created_at),
        "livemode": rule_set.livemode,
    }


def decision_to_dict(record: dict) -> dict:
    return {"object": "routing.decision", **record}


def rule_sets_with_latest(rows: list[RuleSet]) -> list[RuleSet]:
    """One query for the latest version of every rule set of a page."""
    wanted = {(r.pk, r.latest_version) for r in rows}
    found: dict[int, list] = {}
    for version in RuleSetVersion.objects.filter(rule_set__in=[r.pk for r in rows]):
        if (version.rule_set_id, version.version) in wanted:
            found.setdefault(version.rule_set_id, []).append(version)
    for row in rows:
        row.prefetched_versions = found.get(row.pk, [])
    return rows
