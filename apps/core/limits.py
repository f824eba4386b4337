"""The ranges every number from outside is held to, and the one way a number is read from text.

`str.isdigit()` is true for "²" and for Arabic-Indic digits (which `int()` then refuses or reads), and `int()` of a
5,000-digit string raises; both were 500s. Read integers with `ascii_int` instead."""

import re
from datetime import UTC, datetime

# A PostgreSQL bigint: every integer input, unless its field narrows it.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
# Unix seconds a datetime input may take: 1970-01-01 to the end of year 9999 (the range Python's
# datetime and PostgreSQL share); a field may narrow it.
UNIX_MIN, UNIX_MAX = 0, 253_402_300_799

_ASCII_INTEGER = re.compile(r"-?[0-9]{1,19}")


def ascii_int(raw, *, minimum: int = BIGINT_MIN, maximum: int = BIGINT_MAX) -> int | None:
    """`raw` as an integer when it is ASCII decimal digits (an optional leading minus) within
    [minimum, maximum]; otherwise None."""
    if not isinstance(raw, str) or not _ASCII_INTEGER.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def datetime_in_window(value: datetime) -> datetime | None:
    """`value` in UTC (a naive one is taken as UTC) when it falls within the unix window above;
    otherwise None. PostgreSQL also refuses offsets past ±15:59, which UTC sidesteps."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return utc if UNIX_MIN <= utc.timestamp() <= UNIX_MAX else None
