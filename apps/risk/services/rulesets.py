"""Rule-set versions: every change writes a new version (the old ones stay, decisions name
theirs); activation is explicit, audited with the diff, and moves the hot path's pointer."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.ids import generate_id

from .. import store
from ..errors import RuleActionInvalid, RuleSetNotDraft, ValueListUnknown
from ..models import Rule, RuleSet, ValueList
from ..rules import lint, lists_of, parse

ACTIONS = {choice for choice, _ in Rule.Action.choices}


def rule_validate(
    *, merchant, livemode: bool, action: str, predicate: str, param: str = "predicate"
) -> list[dict]:
    """Refuses an invalid rule (position of the error, unknown list, bad action); returns the
    linter's warnings."""
    if action not in ACTIONS:
        raise RuleActionInvalid()
    node = parse(predicate, param=param)
    aliases = lists_of(node)
    if aliases:
        known = set(
            ValueList.objects.filter(merchant=merchant, livemode=livemode, alias__in=aliases).values_list(
                "alias", flat=True
            )
        )
        for alias in sorted(aliases - known):
            raise ValueListUnknown(alias=alias, param=param)
    return lint(node)


def _snapshot(rules) -> list[dict]:
    return [
        {"id": r["rule_id"], "action": r["action"], "predicate": r["predicate"], "enabled": r["enabled"]}
        for r in rules
    ]


def rule_set_version_create(
    *,
    merchant,
    livemode: bool,
    actor: Actor,
    rules: list[dict],
    note: str = "",
    activate: bool = False,
    reason: str = "",
) -> RuleSet:
    """A new version holding `rules` ([{rule_id?, action, predicate, description, enabled}]).
    Each rule is validated; a rule without rule_id gets a new one."""
    prepared = []
    for index, rule in enumerate(rules):
        warnings = rule_validate(
            merchant=merchant, livemode=livemode, action=rule["action"], predicate=rule["predicate"]
        )
        prepared.append(
            {"rule_id": rule.get("rule_id") or generate_id("rule"), "action": rule["action"],
             "predicate": rule["predicate"].strip(), "description": rule.get("description", "") or "",
             "enabled": rule.get("enabled", True), "position": index, "warnings": warnings}
        )  # fmt: skip
    for _attempt in range(3):
        try:
            with transaction.atomic():
                latest = (
                    RuleSet.objects.filter(merchant=merchant, livemode=livemode).order_by("-version").first()
                )
                rule_set = RuleSet.objects.create(
                    merchant=merchant, livemode=livemode, version=(latest.version + 1) if latest else 1,
                    note=note, created_by=actor.label,
                )  # fmt: skip
                Rule.objects.bulk_create(Rule(rule_set=rule_set, **values) for values in prepared)
                audit_record(
                    actor=actor, action="risk.rule_set.version_created", merchant=merchant, obj=rule_set,
                    after={"version": rule_set.version, "rules": _snapshot(prepared)}, reason=note,
                )  # fmt: skip
            break
        except IntegrityError:
            continue  # another writer took the version number: take the next one
    else:
        raise RuntimeError("could not allocate a rule-set version")
    if activate:
        rule_set_activate(rule_set_id=rule_set.pk, actor=actor, reason=reason or note)
        rule_set.refresh_from_db()
    return rule_set


def _rules_as_dicts(rule_set: RuleSet | None) -> list[dict]:
    if rule_set is None:
        return []
    return [
        {"rule_id": r.rule_id, "action": r.action, "predicate": r.predicate, "description": r.description,
         "enabled": r.enabled}
        for r in Rule.objects.filter(rule_set=rule_set).order_by("position", "id")
    ]  # fmt: skip


def _base_version(merchant, livemode: bool) -> RuleSet | None:
    return RuleSet.objects.filter(merchant=merchant, livemode=livemode).order_by("-version").first()


def rule_create(*, merchant, livemode: bool, actor: Actor, action: str, predicate: str, description: str = "",
                activate: bool = True) -> tuple[RuleSet, str]:  # fmt: skip
    """Adds a rule to the latest version's rules, as a new version. Returns (version, rule id)."""
    rules = _rules_as_dicts(_base_version(merchant, livemode))
    rule_id = generate_id("rule")
    rules.append({"rule_id": rule_id, "action": action, "predicate": predicate, "description": description})
    rule_set = rule_set_version_create(
        merchant=merchant,
        livemode=livemode,
        actor=actor,
        rules=rules,
        note=f"add {rule_id}",
        activate=activate,
    )
    return rule_set, rule_id


def rule_update(
    *, merchant, livemode: bool, actor: Actor, rule_id: str, changes: dict, activate: bool = True
) -> RuleSet:
    """Edits or disables a rule (`changes`: action, predicate, description, enabled), as a new
    version; `deleted=True` leaves it out of the new version."""
    rules = _rules_as_dicts(_base_version(merchant, livemode))
    kept = []
    for rule in rules:
        if rule["rule_id"] == rule_id:
            if changes.get("deleted"):
                continue
            rule = {
                **rule,
                **{
                    k: v for k, v in changes.items() if k in ("action", "predicate", "description", "enabled")
                },
            }
        kept.append(rule)
    return rule_set_version_create(
        merchant=merchant,
        livemode=livemode,
        actor=actor,
        rules=kept,
        note=f"edit {rule_id}",
        activate=activate,
    )


def rule_set_activate(
    *, rule_set_id: int, actor: Actor, reason: str = "", diff: dict | None = None
) -> RuleSet:
    with transaction.atomic():
        rule_set = RuleSet.objects.select_for_update().select_related("merchant").get(pk=rule_set_id)
        if rule_set.is_active:
            raise RuleSetNotDraft(version=rule_set.version)
        previous = (
            RuleSet.objects.select_for_update()
            .filter(merchant_id=rule_set.merchant_id, livemode=rule_set.livemode, is_active=True)
            .first()
        )
        if previous is not None:
            previous.is_active = False
            previous.save(update_fields=["is_active", "updated_at"])
        rule_set.is_active = True
        rule_set.activated_at = timezone.now()
        rule_set.activated_by = actor.label
        rule_set.save(update_fields=["is_active", "activated_at", "activated_by", "updated_at"])
        audit_record(
            actor=actor, action="risk.rule_set.activated", merchant=rule_set.merchant, obj=rule_set,
            before={"version": previous.version if previous else None,
                    "rules": _snapshot(_rules_as_dicts(previous)) if previous else []},
            after={"version": rule_set.version, "rules": _snapshot(_rules_as_dicts(rule_set)),
                   **({"backtest": diff} if diff else {})},
            reason=reason,
        )  # fmt: skip
        merchant_id, livemode = rule_set.merchant_id, rule_set.livemode
        transaction.on_commit(lambda: pointer_refresh(merchant_id, livemode))
    return rule_set


def pointer_refresh(merchant_id: int, livemode: bool) -> None:
    from .engine import pointer_value

    store.put(store.pointer_key(merchant_id, livemode), pointer_value(merchant_id, livemode))


def risk_settings_update(*, merchant, actor: Actor, changes: dict, reason: str = ""):
    from ..models import RiskSettings

    with transaction.atomic():
        settings, _ = RiskSettings.objects.select_for_update().get_or_create(merchant=merchant)
        before = {k: getattr(settings, k) for k in changes}
        for key, value in changes.items():
            setattr(settings, key, value)
        settings.save()
        audit_record(actor=actor, action="risk.settings.updated", merchant=merchant, obj=settings,
                     before=before, after=changes, reason=reason)  # fmt: skip
        for livemode in (False, True):
            transaction.on_commit(lambda lm=livemode: pointer_refresh(merchant.pk, lm))
    return settings
