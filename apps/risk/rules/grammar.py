"""Radar-style rule predicates, parsed by a real grammar (lark, LALR), never ``eval``.

    :risk_score: > 75
    :amount_in_usd: > 100000 and :card_country: != :ip_country:
    :email: in @blocked_emails or not (:card_funding: = 'prepaid')
    is_missing(:ip_country:) and ::order_type:: = 'gift_card'

Precedence, loosest first: ``or``, ``and``, ``not``, then comparisons (``= != < > <= >=``,
``in @list``, ``not in @list``, ``in ('a', 'b')``), ``is_missing(:attr:)`` and parentheses.
Keywords and string comparisons are case-insensitive. ``::key::`` names a metadata key.

Three-valued logic: a comparison with a missing attribute is *unknown*, ``not unknown`` is
unknown, ``and``/``or`` follow Kleene's tables, and a rule matches only when its predicate is
*true*. ``is_missing`` is the one way to ask about an absent value.

``parse`` returns a tree of small nodes; every error (syntax, unknown attribute, types that can
never be compared) is a ``RuleSyntaxError`` carrying the 1-based line/column and 0-based offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from apps.core.errors import InvalidRequestError

from .attributes import BOOL, NUMBER, STRING, attribute

MAX_LENGTH = 4000
MAX_DEPTH = 50

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr (_OR and_expr)+  -> or_
        | and_expr
?and_expr: not_expr (_AND not_expr)+  -> and_
         | not_expr
?not_expr: _NOT not_expr  -> not_
         | atom
?atom: "(" or_expr ")"
     | ISMISSING "(" ATTR ")"  -> is_missing
     | operand OP operand  -> compare
     | operand _IN LIST_REF  -> in_list
     | operand _NOT _IN LIST_REF  -> not_in_list
     | operand _IN "(" literal ("," literal)* ")"  -> in_set
     | operand _NOT _IN "(" literal ("," literal)* ")"  -> not_in_set
     | ATTR  -> truthy

?operand: ATTR | META | literal
?literal: STRING | NUMBER | TRUE | FALSE

ISMISSING.3: /is_missing\b/i
_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_IN.2: /in\b/i
TRUE.2: /true\b/i
FALSE.2: /false\b/i
OP: "<=" | ">=" | "!=" | "=" | "<" | ">"
META: /::[A-Za-z0-9_\-]{1,40}::/
ATTR: /:[a-z][a-z0-9_]{0,60}:/
LIST_REF: /@[A-Za-z_][A-Za-z0-9_\-]{0,99}/
STRING: /'[^'\n]{0,500}'/ | /"[^"\n]{0,500}"/
NUMBER: /-?[0-9]{1,18}(\.[0-9]{1,6})?/

%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


class RuleSyntaxError(InvalidRequestError):
    code = "rule_invalid"
    param = "predicate"
    stored = False
    message = "Invalid rule at line {line}, column {column}: {detail}"

    def __init__(self, detail: str, *, line: int, column: int, offset: int, param: str | None = None):
        super().__init__(detail=detail, line=line, column=column, param=param)
        self.line, self.column, self.offset, self.detail = line, column, offset, detail
        self.extra = {"position": {"line": line, "column": column, "offset": offset}}


# --- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Attr(Node):
    name: str = ""
    type: str = STRING
    always_present: bool = False


@dataclass(frozen=True)
class Literal(Node):
    value: object = None
    type: str = STRING


@dataclass(frozen=True)
class Compare(Node):
    left: Node = None
    op: str = "="
    right: Node = None


@dataclass(frozen=True)
class InList(Node):
    operand: Node = None
    alias: str = ""
    negated: bool = False


@dataclass(frozen=True)
class InSet(Node):
    operand: Node = None
    values: tuple = ()
    negated: bool = False


@dataclass(frozen=True)
class IsMissing(Node):
    attr: Attr = None


@dataclass(frozen=True)
class Truthy(Node):
    attr: Attr = None


@dataclass(frozen=True)
class Not(Node):
    child: Node = None


@dataclass(frozen=True)
class And(Node):
    children: tuple = ()


@dataclass(frozen=True)
class Or(Node):
    children: tuple = ()


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column


class _Error(Exception):
    def __init__(self, detail: str, offset: int):
        super().__init__(detail)
        self.detail, self.offset = detail, offset


def _offset(item) -> int:
    if isinstance(item, Token):
        return item.start_pos or 0
    return getattr(item, "offset", 0)


@v_args(inline=True)
class _Build(Transformer):
    def ATTR(self, token):
        name = str(token)[1:-1]
        known = attribute(name)
        if known is None:
            raise _Error(f"unknown attribute ':{name}:'", token.start_pos)
        return Attr(offset=token.start_pos, name=name, type=known.type, always_present=known.always_present)

    def META(self, token):
        return Attr(offset=token.start_pos, name="metadata." + str(token)[2:-2], type=STRING)

    def STRING(self, token):
        return Literal(offset=token.start_pos, value=str(token)[1:-1], type=STRING)

    def NUMBER(self, token):
        text = str(token)
        value = Decimal(text) if "." in text else int(text)
        return Literal(offset=token.start_pos, value=value, type=NUMBER)

    def TRUE(self, token):
        return Literal(offset=token.start_pos, value=True, type=BOOL)

    def FALSE(self, token):
        return Literal(offset=token.start_pos, value=False, type=BOOL)

    def LIST_REF(self, token):
        return token

    def compare(self, left, op, right):
        if left.type != right.type:
            raise _Error(f"cannot compare a {left.type} with a {right.type}", right.offset)
        if left.type != NUMBER and str(op) not in ("=", "!="):
            raise _Error(f"'{op}' compares numbers only; this is a {left.type}", op.start_pos)
        return Compare(offset=left.offset, left=left, op=str(op), right=right)

    def _list(self, operand, ref, negated):
        if operand.type != STRING:
            raise _Error(f"a value list holds strings; this is a {operand.type}", operand.offset)
        return InList(offset=operand.offset, operand=operand, alias=str(ref)[1:], negated=negated)

    def in_list(self, operand, ref):
        return self._list(operand, ref, False)

    def not_in_list(self, operand, ref):
        return self._list(operand, ref, True)

    def _set(self, operand, values, negated):
        for value in values:
            if value.type != operand.type:
                raise _Error(f"cannot compare a {operand.type} with a {value.type}", value.offset)
        return InSet(
            offset=operand.offset, operand=operand, values=tuple(v.value for v in values), negated=negated
        )

    def in_set(self, operand, *values):
        return self._set(operand, values, False)

    def not_in_set(self, operand, *values):
        return self._set(operand, values, True)

    def is_missing(self, keyword, attr):
        return IsMissing(offset=keyword.start_pos, attr=attr)

    def truthy(self, attr):
        if attr.type != BOOL:
            raise _Error(f"':{attr.name}:' is a {attr.type}: compare it with a value", attr.offset)
        return Truthy(offset=attr.offset, attr=attr)

    def not_(self, child):
        return Not(offset=child.offset, child=child)

    def and_(self, *children):
        return And(offset=children[0].offset, children=children)

    def or_(self, *children):
        return Or(offset=children[0].offset, children=children)


def _depth(node, limit: int = MAX_DEPTH) -> None:
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            raise _Error(f"the rule nests deeper than {limit} levels", current.offset)
        if isinstance(current, (And, Or)):
            stack.extend((child, depth + 1) for child in current.children)
        elif isinstance(current, Not):
            stack.append((current.child, depth + 1))


def parse(text: str, *, param: str = "predicate") -> Node:
    """The predicate's tree, or RuleSyntaxError naming where it went wrong."""
    if not isinstance(text, str) or not text.strip():
        raise RuleSyntaxError("the rule is empty", line=1, column=1, offset=0, param=param)
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(
            f"the rule is longer than {MAX_LENGTH} characters", line=1, column=1, offset=0, param=param
        )
    try:
        tree = _PARSER.parse(text)
        node = _Build().transform(tree)
        _depth(node)
        return node
    except _Error as exc:
        line, column = _position(text, exc.offset)
        raise RuleSyntaxError(exc.detail, line=line, column=column, offset=exc.offset, param=param) from None
    except UnexpectedEOF:
        line, column = _position(text, len(text))
        raise RuleSyntaxError(
            "the rule ends too early", line=line, column=column, offset=len(text), param=param
        ) from None
    except UnexpectedCharacters as exc:
        offset = exc.pos_in_stream or 0
        line, column = _position(text, offset)
        detail = f"unexpected character {text[offset]!r}" if offset < len(text) else "unexpected input"
        raise RuleSyntaxError(detail, line=line, column=column, offset=offset, param=param) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is not None and getattr(token, "type", "") == "$END":
            line, column = _position(text, len(text))
            raise RuleSyntaxError(
                "the rule ends too early", line=line, column=column, offset=len(text), param=param
            ) from None
        offset = getattr(token, "start_pos", None)
        if offset is None or offset < 0:
            offset = len(text)
        line, column = _position(text, offset)
        shown = str(token) if token is not None and str(token) else "end of rule"
        raise RuleSyntaxError(
            f"unexpected {shown!r}", line=line, column=column, offset=offset, param=param
        ) from None
    except (LarkError, RecursionError) as exc:
        # A transformer error wraps ours (VisitError); anything else is still the rule's fault.
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, _Error):
            line, column = _position(text, inner.offset)
            raise RuleSyntaxError(
                inner.detail, line=line, column=column, offset=inner.offset, param=param
            ) from None
        raise RuleSyntaxError("the rule cannot be read", line=1, column=1, offset=0, param=param) from None


def attributes_of(node: Node) -> set[str]:
    found: set[str] = set()
    for current in walk(node):
        if isinstance(current, Attr):
            found.add(current.name)
    return found


def lists_of(node: Node) -> set[str]:
    return {current.alias for current in walk(node) if isinstance(current, InList)}


def walk(node: Node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (And, Or)):
            stack.extend(current.children)
        elif isinstance(current, Not):
            stack.append(current.child)
        elif isinstance(current, Compare):
            stack.extend((current.left, current.right))
        elif isinstance(current, (InList, InSet)):
            stack.append(current.operand)
        elif isinstance(current, (IsMissing, Truthy)):
            stack.append(current.attr)
