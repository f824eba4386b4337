"""Query limits of the read-only GraphQL API, from day one: `first` at most 100 (checked in the
resolvers), a maximum depth (strawberry's QueryDepthLimiter) and a cost limit computed here.

Cost: every field costs 1; a connection field multiplies the cost of its selection by its
`first` (default 10), so nesting connections multiplies — a page of 100 intents each with 100
refunds costs about 10,000 and is refused, naming the computed cost."""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    ValidationRule,
    VariableNode,
)

MAX_FIRST = 100
DEFAULT_FIRST = 10
MAX_DEPTH = 5  # counted from 0 at the root field: six levels of selection
MAX_COST = 5_000


def _first_of(node: FieldNode, variables: dict) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
            return raw if isinstance(raw, int) else None
    return None


def _cost(selection_set, fragments: dict, variables: dict, seen: frozenset = frozenset()) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = _cost(selection.selection_set, fragments, variables, seen)
            is_connection = selection.selection_set is not None and any(
                isinstance(s, FieldNode) and s.name.value == "edges"
                for s in selection.selection_set.selections
            )
            if is_connection:
                first = _first_of(selection, variables)
                inner *= max(1, min(first if first is not None else DEFAULT_FIRST, MAX_FIRST * 10))
            total += 1 + inner
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, fragments, variables, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue  # a cycle is refused by graphql-core's own rules
            total += _cost(fragments[name].selection_set, fragments, variables, seen | {name})
    return total


def query_cost(document, variables: dict | None = None) -> int:
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    return sum(
        _cost(d.selection_set, fragments, variables or {})
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def cost_rule(variables: dict | None):
    class QueryCostRule(ValidationRule):
        def enter_document(self, node, *_args):
            cost = query_cost(node, variables)
            if cost > MAX_COST:
                self.report_error(
                    GraphQLError(
                        f"Query cost {cost} exceeds the maximum of {MAX_COST}: ask for fewer items per "
                        "page (`first`) or fewer nested connections.",
                        extensions={"code": "query_cost_exceeded", "cost": cost, "max_cost": MAX_COST},
                    )
                )

    return QueryCostRule
