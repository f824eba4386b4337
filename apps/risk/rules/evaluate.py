"""Evaluating a parsed predicate over a payment context, in three-valued logic.

``compile_predicate`` turns the tree into nested closures once per rule-set version (the
version is immutable, so the compiled form is cached in the process). A closure answers
``True``, ``False`` or ``None`` (unknown); a rule matches only on ``True``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal

from .grammar import And, Attr, Compare, InList, InSet, IsMissing, Literal, Node, Not, Or, Truthy

Context = Mapping[str, object]
Members = frozenset  # {(alias, value lower-cased)} the value lists hold, among the probed values
Predicate = Callable[[Context, Members], bool | None]

_OPS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _norm(value):
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _operand(node: Node) -> Callable[[Context], object]:
    if isinstance(node, Attr):
        name = node.name
        return lambda ctx: _norm(ctx.get(name))
    value = _norm(node.value) if isinstance(node, Literal) else None
    return lambda ctx: value


def compile_predicate(node: Node) -> Predicate:
    if isinstance(node, Compare):
        left, right, op = _operand(node.left), _operand(node.right), _OPS[node.op]

        def compare(ctx, members):
            a, b = left(ctx), right(ctx)
            if a is None or b is None:
                return None
            return op(a, b)

        return compare
    if isinstance(node, InList):
        get, alias, negated = _operand(node.operand), node.alias, node.negated

        def in_list(ctx, members):
            value = get(ctx)
            if value is None:
                return None
            return ((alias, str(value)) in members) != negated

        return in_list
    if isinstance(node, InSet):
        get, values, negated = _operand(node.operand), frozenset(_norm(v) for v in node.values), node.negated

        def in_set(ctx, members):
            value = get(ctx)
            if value is None:
                return None
            return (value in values) != negated

        return in_set
    if isinstance(node, IsMissing):
        name = node.attr.name
        return lambda ctx, members: ctx.get(name) is None
    if isinstance(node, Truthy):
        name = node.attr.name

        def truthy(ctx, members):
            value = ctx.get(name)
            return None if value is None else bool(value)

        return truthy
    if isinstance(node, Not):
        child = compile_predicate(node.child)

        def not_(ctx, members):
            value = child(ctx, members)
            return None if value is None else not value

        return not_
    if isinstance(node, And):
        children = [compile_predicate(c) for c in node.children]

        def and_(ctx, members):
            unknown = False
            for child in children:
                value = child(ctx, members)
                if value is False:
                    return False
                if value is None:
                    unknown = True
            return None if unknown else True

        return and_
    if isinstance(node, Or):
        children = [compile_predicate(c) for c in node.children]

        def or_(ctx, members):
            unknown = False
            for child in children:
                value = child(ctx, members)
                if value is True:
                    return True
                if value is None:
                    unknown = True
            return None if unknown else False

        return or_
    raise TypeError(f"not a predicate node: {node!r}")


def list_probes(node: Node) -> list[tuple[str, Callable[[Context], object]]]:
    """(alias, value getter) for every ``in @list`` of the predicate: the values to look up."""
    from .grammar import walk

    return [(n.alias, _operand(n.operand)) for n in walk(node) if isinstance(n, InList)]
