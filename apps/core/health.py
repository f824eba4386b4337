"""Extra reports `/ready` shows without failing on them (connector health, …): higher apps
register a callable in their `AppConfig.ready()`; core never imports them."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("clearhouse.ops")

_REPORTS: dict[str, Callable[[], object]] = {}


def register(name: str, report: Callable[[], object]) -> None:
    _REPORTS[name] = report


def reports() -> dict[str, object]:
    out = {}
    for name, report in _REPORTS.items():
        try:
            out[name] = report()
        except Exception as exc:  # informational: a failing report is shown, never raised
            logger.warning("ready report %s failed: %s", name, exc)
            out[name] = {"error": type(exc).__name__}
    return out
