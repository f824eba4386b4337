"""Rule sets: create, edit (a new version each time) and activate a version. Every change is
audited in its transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors.models import Connector

from ..errors import RuleSetNotActive, RuleSetVersionMissing
from ..models import RuleSet, RuleSetVersion
from ..rules import validate_connector_list, validate_rules


def _known(merchant, livemode: bool) -> set[str]:
    return set(
        Connector.objects.filter(merchant=merchant, livemode=livemode).values_list("public_id", flat=True)
    )


def _lock(rule_set_id: int) -> RuleSet:
    return RuleSet.objects.select_for_update().select_related("merchant").get(pk=rule_set_id)


def rule_set_create(
    *,
    merchant,
    livemode: bool,
    name: str,
    actor: Actor,
    rules: Any = None,
    default_fallback: Any = None,
    activate: bool = False,
) -> RuleSet:
    known = _known(merchant, livemode)
    clean_rules = validate_rules(rules, known=known)
    fallback = validate_connector_list(default_fallback, "default_fallback", known=known)
    with transaction.atomic(durable=True):
        rule_set = RuleSet.objects.create(
            merchant=merchant, livemode=livemode, name=name[:100], latest_version=1
        )
        RuleSetVersion.objects.create(
            rule_set=rule_set,
            version=1,
            rules=clean_rules,
            default_fallback=fallback,
            created_by=actor.label[:200],
        )
        audit_record(
            actor=actor, action="routing.rule_set.create", merchant=merchant, obj=rule_set,
            after={"version": 1, "rules": clean_rules, "default_fallback": fallback},
        )  # fmt: skip
        if activate:
            _activate(rule_set, 1, actor=actor)
    return rule_set


def rule_set_update(
    *,
    rule_set_id: int,
    actor: Actor,
    name: str | None = None,
    rules: Any = None,
    default_fallback: Any = None,
) -> RuleSet:
    """An edit makes a new version (the active version stays what it was until activated)."""
    with transaction.atomic(durable=True):
        rule_set = _lock(rule_set_id)
        latest = RuleSetVersion.objects.get(rule_set=rule_set, version=rule_set.latest_version)
        known = _known(rule_set.merchant, rule_set.livemode)
        clean_rules = latest.rules if rules is None else validate_rules(rules, known=known)
        fallback = (
            latest.default_fallback
            if default_fallback is None
            else validate_connector_list(default_fallback, "default_fallback", known=known)
        )
        if name is not None:
            rule_set.name = name[:100]
        rule_set.latest_version += 1
        rule_set.save()
        RuleSetVersion.objects.create(
            rule_set=rule_set, version=rule_set.latest_version, rules=clean_rules, default_fallback=fallback,
            created_by=actor.label[:200],
        )  # fmt: skip
        audit_record(
            actor=actor, action="routing.rule_set.update", merchant=rule_set.merchant, obj=rule_set,
            before={"version": latest.version, "rules": latest.rules, "default_fallback": latest.default_fallback},
            after={"version": rule_set.latest_version, "rules": clean_rules, "default_fallback": fallback},
        )  # fmt: skip
    return rule_set


def _activate(rule_set: RuleSet, version: int, *, actor: Actor, reason: str = "") -> None:
    if not RuleSetVersion.objects.filter(rule_set=rule_set, version=version).exists():
        raise RuleSetVersionMissing(rule_set=rule_set.public_id, version=version)
    previous = (
        RuleSet.objects.select_for_update()
        .filter(merchant=rule_set.merchant, livemode=rule_set.livemode, active_version__isnull=False)
        .exclude(pk=rule_set.pk)
        .first()
    )
    before = {"active": None}
    if previous is not None:
        before = {"active": previous.public_id, "version": previous.active_version}
        previous.active_version = None
        previous.save(update_fields=["active_version", "updated_at"])
    elif rule_set.active_version is not None:
        before = {"active": rule_set.public_id, "version": rule_set.active_version}
    rule_set.active_version = version
    rule_set.activated_at = timezone.now()
    rule_set.save(update_fields=["active_version", "activated_at", "updated_at"])
    audit_record(
        actor=actor, action="routing.rule_set.activate", merchant=rule_set.merchant, obj=rule_set,
        before=before, after={"active": rule_set.public_id, "version": version}, reason=reason,
    )  # fmt: skip


def rule_set_activate(
    *, rule_set_id: int, actor: Actor, version: int | None = None, reason: str = ""
) -> RuleSet:
    """Makes ``version`` (default: the latest) the merchant's active routing in this mode; any
    other active rule set of the merchant and mode is deactivated in the same transaction."""
    with transaction.atomic(durable=True):
        rule_set = _lock(rule_set_id)
        _activate(rule_set, version or rule_set.latest_version, actor=actor, reason=reason)
    return rule_set


def rule_set_deactivate(*, rule_set_id: int, actor: Actor, reason: str = "") -> RuleSet:
    """Back to the default fallback order for every payment."""
    with transaction.atomic(durable=True):
        rule_set = _lock(rule_set_id)
        if rule_set.active_version is None:
            raise RuleSetNotActive(rule_set=rule_set.public_id)
        before = {"version": rule_set.active_version}
        rule_set.active_version = None
        rule_set.save(update_fields=["active_version", "updated_at"])
        audit_record(actor=actor, action="routing.rule_set.deactivate", merchant=rule_set.merchant, obj=rule_set,
                     before=before, reason=reason)  # fmt: skip
    return rule_set
