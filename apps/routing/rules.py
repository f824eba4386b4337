"""The rule language, validated when a version is written (errors name the parameter).

A rule::

    {"name": "eu_cards",
     "conditions": {"currency": ["EUR"], "amount_gte": 100, "amount_lte": 500000,
                    "payment_method_type": ["card"], "card_brand": ["visa"], "card_country": ["DE"],
                    "billing_country": ["DE", "AT"], "capture_method": "manual",
                    "metadata": {"channel": "web", "vip": null}},   # null: the key is present
     "connectors": ["con_…", "con_…"]}                              # priority, with failover
  or "split": [{"connector": "con_…", "weight": 70}, {"connector": "con_…", "weight": 30}]

Every condition given must hold (an absent condition matches anything); the first rule that
matches wins; then the rule set's ``default_fallback`` order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apps.core.currencies import CURRENCIES

from .errors import RuleSetInvalid

LIST_CONDITIONS = ("currency", "payment_method_type", "card_brand", "card_country", "billing_country")
CONDITIONS = (*LIST_CONDITIONS, "amount_gte", "amount_lte", "capture_method", "metadata")
MAX_RULES = 100


def _fail(detail: str, param: str):
    raise RuleSetInvalid(detail=detail, param=param)


def _strings(value, param: str, *, upper: bool) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > 100:
        _fail("must be a non-empty list of strings.", param)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not 0 < len(item) <= 40:
            _fail("must be a non-empty list of strings.", f"{param}[{i}]")
        out.append(item.upper() if upper else item.lower())
    return out


def _conditions(raw, param: str) -> dict:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        _fail("conditions must be an object.", param)
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{param}[{key}]"
        if key not in CONDITIONS:
            _fail(f"Unknown condition {str(key)[:40]!r}; use one of {', '.join(CONDITIONS)}.", where)
        if key in LIST_CONDITIONS:
            items = _strings(value, where, upper=key in ("currency", "card_country", "billing_country"))
            if key == "currency":
                for i, code in enumerate(items):
                    if code not in CURRENCIES:
                        _fail(f"Unknown currency {code}.", f"{where}[{i}]")
            clean[key] = items
        elif key in ("amount_gte", "amount_lte"):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**15:
                _fail("must be a non-negative integer amount in minor units.", where)
            clean[key] = value
        elif key == "capture_method":
            if value not in ("automatic", "manual"):
                _fail("must be automatic or manual.", where)
            clean[key] = value
        else:
            if not isinstance(value, Mapping) or len(value) > 20:
                _fail("must be an object of metadata keys (value null: the key is present).", where)
            for name, expected in value.items():
                if (
                    not isinstance(name, str)
                    or not 0 < len(name) <= 40
                    or not (expected is None or isinstance(expected, str))
                ):
                    _fail("metadata conditions map a key to a string or null.", where)
            clean[key] = dict(value)
    return clean


def validate_rules(raw: Any, *, known: set[str]) -> list[dict]:
    """Clean rules; ``known``: the merchant's connector ids in this mode."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_RULES:
        _fail(f"rules must be a list of at most {MAX_RULES} rules.", "rules")
    clean, names = [], set()
    for i, rule in enumerate(raw):
        where = f"rules[{i}]"
        if not isinstance(rule, Mapping):
            _fail("a rule must be an object.", where)
        unknown = set(rule) - {"name", "conditions", "connectors", "split"}
        if unknown:
            _fail(f"Unknown rule field {sorted(unknown)[0][:40]!r}.", f"{where}[{sorted(unknown)[0][:40]}]")
        name = rule.get("name")
        if not isinstance(name, str) or not 0 < len(name) <= 60:
            _fail("a rule needs a name of 1 to 60 characters.", f"{where}[name]")
        if name in names:
            _fail(f"Two rules are named {name!r}.", f"{where}[name]")
        names.add(name)
        out: dict[str, Any] = {
            "name": name,
            "conditions": _conditions(rule.get("conditions"), f"{where}[conditions]"),
        }
        if ("connectors" in rule) == ("split" in rule):
            _fail("a rule routes either to `connectors` (priority) or by `split` (volume).", where)
        if "connectors" in rule:
            out["connectors"] = validate_connector_list(
                rule["connectors"], f"{where}[connectors]", known=known
            )
        else:
            split = rule["split"]
            if not isinstance(split, list) or not 0 < len(split) <= 20:
                _fail("split must be a list of {connector, weight}.", f"{where}[split]")
            entries, seen = [], set()
            for j, entry in enumerate(split):
                at = f"{where}[split][{j}]"
                if not isinstance(entry, Mapping) or set(entry) != {"connector", "weight"}:
                    _fail("a split entry is {connector, weight}.", at)
                weight = entry["weight"]
                if isinstance(weight, bool) or not isinstance(weight, int) or not 0 < weight <= 10_000:
                    _fail("weight must be an integer from 1 to 10000.", f"{at}[weight]")
                connector = entry["connector"]
                if connector not in known:
                    _fail(f"No connector {str(connector)[:40]} in this mode.", f"{at}[connector]")
                if connector in seen:
                    _fail(f"Connector {connector} appears twice.", f"{at}[connector]")
                seen.add(connector)
                entries.append({"connector": connector, "weight": weight})
            out["split"] = entries
        clean.append(out)
    return clean


def validate_connector_list(raw: Any, param: str, *, known: set[str]) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) > 20:
        _fail("must be a list of connector ids.", param)
    out = []
    for i, connector in enumerate(raw):
        if connector not in known:
            _fail(f"No connector {str(connector)[:40]} in this mode.", f"{param}[{i}]")
        if connector in out:
            _fail(f"Connector {connector} appears twice.", f"{param}[{i}]")
        out.append(connector)
    return out
