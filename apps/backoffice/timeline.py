"""The payment workbench's timeline: one list of what happened to a payment, oldest first, put
together from sources that each app registers for its own rows (attempts, 3DS, captures, refunds,
ledger entries, webhook events, audit entries; risk decisions, routing choices, disputes…).

Registering a source is five lines in the app's `admin.py` (admin modules may use the back office's
toolkit; the import contract allows `apps.*.admin -> apps.backoffice.timeline`)::

    from apps.backoffice.timeline import TimelineEntry, timeline_source

    @timeline_source("risk")
    def risk_decisions(intent):
        for d in RiskDecision.objects.filter(payment_intent=intent).order_by("id")[:50]:
            yield TimelineEntry(at=d.created_at, kind="risk", title=f"Risk: {d.action}", detail=d.reason)

A source receives the `PaymentIntent` and yields `TimelineEntry` rows; keep it to one or two
indexed queries with a bound (`[:50]`), the workbench runs every source on each page view. The
`kind` becomes the entry's badge and its `data-kind` attribute (what tests and filters use);
`url` links the entry to its own admin page; `actor` names who did it, `money` is already
formatted with its currency (`apps.backoffice.money.money`). A source that raises is shown as
one "unavailable" entry instead of breaking the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    actor: str = ""
    money: str = ""
    tone: str = ""  # "success", "danger", "warning", "info" or "" (neutral badge)


Source = Callable[[object], Iterable[TimelineEntry]]
_SOURCES: dict[str, Source] = {}


def timeline_source(name: str) -> Callable[[Source], Source]:
    """Registers `func(intent) -> Iterable[TimelineEntry]` under `name` (a second registration
    under the same name replaces the first, so module reloads stay harmless)."""

    def decorator(func: Source) -> Source:
        _SOURCES[name] = func
        return func

    return decorator


def sources() -> dict[str, Source]:
    return dict(_SOURCES)


def payment_timeline(intent) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for name, source in _SOURCES.items():
        try:
            entries.extend(source(intent))
        except Exception:  # a broken panel must not hide the payment from support
            log.exception("timeline source %s failed for %s", name, getattr(intent, "public_id", intent))
            entries.append(
                TimelineEntry(
                    at=intent.created_at, kind=name, title=f"{name} entries are unavailable", tone="warning"
                )
            )
    return sorted(entries, key=lambda e: e.at)
