from __future__ import annotations

from .base import ParsedFile
from .camt053 import parse_camt053
from .csvfiles import _reader, parse_csv
from .layouts import BUILT_IN, layout_from_mapping
from .mt940 import parse_mt940


def acquirer_layout(fmt: str, mapping=None):
    """The CSV layout of an acquirer format (None: not a CSV acquirer format)."""
    if fmt == "generic_csv":
        layout = layout_from_mapping(mapping)
        return None if layout.bank else layout
    return BUILT_IN.get(fmt)


def parse_file(content: bytes, fmt: str, *, mapping=None) -> ParsedFile:
    if fmt == "camt053":
        return parse_camt053(content)
    if fmt == "mt940":
        return parse_mt940(content)
    if fmt == "generic_csv":
        return parse_csv(content, layout_from_mapping(mapping))
    return parse_csv(content, BUILT_IN[fmt])


def preview(content: bytes, mapping, *, rows: int = 5) -> dict:
    """The header, the first raw rows and what the mapping reads from them (admin preview)."""
    layout = layout_from_mapping(mapping)
    header, raw_rows = _reader(content, layout)
    head = "\n".join([layout.delimiter.join(header), *(layout.delimiter.join(r) for r in raw_rows[:rows])])
    parsed = parse_csv(head.encode(), layout)
    return {"header": header, "rows": raw_rows[:rows], "parsed": parsed.bank or parsed.acquirer,
            "errors": [e.as_dict() for e in parsed.errors]}  # fmt: skip
