"""Warnings for a rule that parses but probably does not say what its author meant.

Run on save (API and admin); warnings are returned and shown, they do not refuse the rule.
Errors (syntax, unknown attributes, types) are the parser's; an unknown value list is the
service's (it needs the merchant's lists).
"""

from __future__ import annotations

from .grammar import And, Attr, Compare, InSet, IsMissing, Literal, Node, Not, walk


def _missable(node: Node, root: Node) -> list[str]:
    names = []
    for current in walk(node):
        if isinstance(current, Attr) and not current.always_present and not _guarded(root, current.name):
            names.append(current.name)
    return sorted(set(names))


def _guarded(node: Node, name: str) -> bool:
    return any(isinstance(n, IsMissing) and n.attr.name == name for n in walk(node))


def _equalities(node: And) -> dict[str, set]:
    found: dict[str, set] = {}
    for child in node.children:
        if isinstance(child, Compare) and child.op == "=":
            pairs = ((child.left, child.right), (child.right, child.left))
            for attr, lit in pairs:
                if isinstance(attr, Attr) and isinstance(lit, Literal):
                    value = lit.value.lower() if isinstance(lit.value, str) else lit.value
                    found.setdefault(attr.name, set()).add(value)
    return found


def lint(node: Node) -> list[dict]:
    """[{"code", "message", "offset"}] — empty when nothing looks wrong."""
    warnings: list[dict] = []

    def warn(code: str, message: str, offset: int) -> None:
        warnings.append({"code": code, "message": message, "offset": offset})

    for current in walk(node):
        if isinstance(current, Not):
            missable = _missable(current.child, node)
            if missable:
                names = ", ".join(f":{n}:" for n in missable)
                warn(
                    "not_over_missing",
                    f"not(...) over {names}, which a payment may lack: a missing value makes the "
                    "inner comparison unknown and not(unknown) is unknown, so the rule does not match "
                    "such payments. Say what should happen with is_missing(...).",
                    current.offset,
                )
        elif isinstance(current, IsMissing) and current.attr.always_present:
            warn(
                "never_missing",
                f"is_missing(:{current.attr.name}:) is always false: every payment has it.",
                current.offset,
            )
        elif isinstance(current, Compare):
            left, right = current.left, current.right
            if isinstance(left, Literal) and isinstance(right, Literal):
                warn("constant", "This comparison has no attribute: it is always the same.", current.offset)
            elif isinstance(left, Attr) and isinstance(right, Attr) and left.name == right.name:
                warn("self_comparison", f"':{left.name}:' is compared with itself.", current.offset)
            elif current.op == "<" and _is_zero_or_less(right) and _non_negative(left):
                warn("never_matches", f"':{left.name}:' is never below {right.value}.", current.offset)
        elif isinstance(current, InSet) and not current.values:
            warn("never_matches", "The set is empty.", current.offset)
        elif isinstance(current, And):
            for name, values in _equalities(current).items():
                if len(values) > 1:
                    warn(
                        "never_matches",
                        f"':{name}:' cannot equal several values at once; this rule can never match.",
                        current.offset,
                    )
    return warnings


def _non_negative(node: Node) -> bool:
    return isinstance(node, Attr) and (
        node.name in ("amount", "amount_in_usd", "risk_score", "customer_age_days", "acquirer_risk_score")
        or node.name.startswith(("attempts_per_", "declines_per_"))
    )


def _is_zero_or_less(node: Node) -> bool:
    return isinstance(node, Literal) and isinstance(node.value, int) and node.value <= 0
