"""Stripe's search query language, for the fields a resource declares, turned into a Django `Q`.

    email:'jane@example.com' AND metadata['tier']:'gold'
    status:'succeeded' OR status:'requires_capture'
    amount>1000 AND -currency:'eur' AND created>=1700000000
    name~'ada'                      (substring, at least 3 characters)

Clauses are joined by AND or by OR (not both in one query, as Stripe). `-` negates a clause,
`null` matches an empty value. Every refusal is a 400 naming `query`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import CharField, Q, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from .errors import ParameterInvalid
from .limits import BIGINT_MAX, UNIX_MAX, UNIX_MIN, ascii_int
from .text import printable

MAX_CLAUSES = 10


@dataclass(frozen=True)
class SearchField:
    """`lookup` is the ORM path; `kind` is string | number | timestamp | metadata (which takes
    `metadata['key']`); `lower`/`upper` fold the value the way the column stores it; `substring`
    allows `~`."""

    lookup: str
    kind: str = "string"
    lower: bool = False
    upper: bool = False
    substring: bool = True


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<join>AND|OR)(?=\s)
      | (?P<clause>(?P<neg>-)?(?P<field>[a-z_]+)(?:\[(?P<quote>['"])(?P<key>[^'"\]]{1,40})(?P=quote)\])?
          (?P<op>:|~|>=|<=|>|<)
          (?:'(?P<sq>(?:[^'\\]|\\.)*)'|"(?P<dq>(?:[^"\\]|\\.)*)"|(?P<bare>-?[0-9]+|null))
        )
    )\s*""",
    re.VERBOSE,
)


def _refuse(message: str) -> ParameterInvalid:
    return ParameterInvalid(f"Invalid search query: {message}", param="query")


def _value(match, field: SearchField, op: str, name: str):
    if match.group("bare") == "null":
        if op != ":":
            raise _refuse(f"null only works with ':' ({name}).")
        return None
    text = match.group("sq") if match.group("sq") is not None else match.group("dq")
    if text is not None:
        text = re.sub(r"\\(.)", r"\1", text)
    if field.kind in ("number", "timestamp"):
        raw = match.group("bare") if text is None else text
        low, high = (UNIX_MIN, UNIX_MAX) if field.kind == "timestamp" else (-BIGINT_MAX, BIGINT_MAX)
        number = ascii_int(raw, minimum=low, maximum=high)
        if number is None:
            raise _refuse(f"{name} takes an integer.")
        return datetime.fromtimestamp(number, tz=UTC) if field.kind == "timestamp" else number
    if text is None:
        raise _refuse(f"quote the value of {name}, as {name}:'…'.")
    if field.lower:
        return text.lower()
    return text.upper() if field.upper else text


def search_q(query: str, fields: dict[str, SearchField]) -> Q:
    """The `Q` for `query` over `fields` (see the module docstring)."""
    if not isinstance(query, str) or not query.strip():
        raise _refuse("the query is empty.")
    position, clauses, joins = 0, [], set()
    expect_clause = True
    while position < len(query):
        match = _TOKEN.match(query, position)
        if match is None or match.end() == position:
            raise _refuse(f"could not read {printable(query[position:], 40)!r}.")
        position = match.end()
        if match.group("join"):
            if expect_clause:
                raise _refuse(f"{match.group('join')} needs a clause on each side.")
            joins.add(match.group("join"))
            expect_clause = True
            continue
        if not expect_clause:
            raise _refuse("join clauses with AND or OR.")
        expect_clause = False
        clauses.append(_clause(match, fields))
    if expect_clause:
        raise _refuse("the query ends without a clause.")
    if len(joins) > 1:
        raise _refuse("use either AND or OR in one query, not both.")
    if len(clauses) > MAX_CLAUSES:
        raise _refuse(f"at most {MAX_CLAUSES} clauses.")
    combined = clauses[0]
    for clause in clauses[1:]:
        combined = (combined | clause) if joins == {"OR"} else (combined & clause)
    return combined


def _clause(match, fields: dict[str, SearchField]) -> Q:
    name, key, op = match.group("field"), match.group("key"), match.group("op")
    field = fields.get(name)
    if field is None or (key is None) == (field.kind == "metadata"):
        supported = ", ".join(f"{n}['key']" if f.kind == "metadata" else n for n, f in sorted(fields.items()))
        raise _refuse(f"unsupported field {printable(name)!r}; this resource searches {supported}.")
    label = f"{name}['{key}']" if key is not None else name
    if field.kind == "metadata":
        if op != ":":
            raise _refuse(f"{label} only takes ':'.")
        value = _value(match, SearchField(lookup=field.lookup), op, label)
        # A key transform built directly, not a `metadata__<key>` path: a key may hold "__".
        # Coalesced, so a missing key compares as "" and a negated clause still matches it.
        text = Coalesce(KeyTextTransform(key, field.lookup), Value(""), output_field=CharField())
        q = Q(Exact(text, "" if value is None else value))
        return ~q if match.group("neg") else q
    else:
        value = _value(match, field, op, label)
        lookup = field.lookup
    if op in (">", "<", ">=", "<="):
        if field.kind not in ("number", "timestamp"):
            raise _refuse(f"{label} cannot be compared with {op}.")
        suffix = {">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}[op]
        q = Q(**{f"{lookup}__{suffix}": value})
    elif op == "~":
        if field.kind in ("number", "timestamp") or not field.substring:
            raise _refuse(f"{label} does not take '~'.")
        if value is None or len(value) < 3:
            raise _refuse("'~' needs at least 3 characters.")
        q = Q(**{f"{lookup}__icontains": value})
    elif value is None:
        q = Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: ""})
    else:
        q = Q(**{lookup: value})
    return ~q if match.group("neg") else q
