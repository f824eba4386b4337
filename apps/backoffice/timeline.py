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

The workbench header takes buttons the same way (e.g. "Respond to dispute", "Review" for a held
payment): a function returning a button, or None when it does not apply to this payment or this
staff member::

    from apps.backoffice.timeline import WorkbenchButton, workbench_button

    @workbench_button("review")
    def review_button(request, intent):
        review = Review.objects.filter(payment_intent=intent, status="open").first()
        if review and request.user.has_perm("risk.change_review"):
            return WorkbenchButton(label="Review", url=reverse("admin:risk_review_change", args=[review.pk]))

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


@dataclass(frozen=True)
class WorkbenchButton:
    label: str
    url: str
    icon: str = "arrow_forward"  # a Material Symbols name


Source = Callable[[object], Iterable[TimelineEntry]]
Button = Callable[[object, object], "WorkbenchButton | None"]
_SOURCES: dict[str, Source] = {}
_BUTTONS: dict[str, Button] = {}


def timeline_source(name: str) -> Callable[[Source], Source]:
    """Registers `func(intent) -> Iterable[TimelineEntry]` under `name` (a second registration
    under the same name replaces the first, so module reloads stay harmless)."""

    def decorator(func: Source) -> Source:
        _SOURCES[name] = func
        return func

    return decorator


def sources() -> dict[str, Source]:
    return dict(_SOURCES)


def workbench_button(name: str) -> Callable[[Button], Button]:
    """Registers `func(request, intent) -> WorkbenchButton | None` under `name`."""

    def decorator(func: Button) -> Button:
        _BUTTONS[name] = func
        return func

    return decorator


def workbench_buttons(request, intent) -> list[dict]:
    """The registered buttons that apply, as the header template draws them (links to their page)."""
    out = []
    for name, func in _BUTTONS.items():
        try:
            button = func(request, intent)
        except Exception:  # one app's bug must not take the payment page down
            log.exception("workbench button %s failed for %s", name, getattr(intent, "public_id", intent))
            continue
        if button is not None:
            out.append(
                {"name": name, "label": button.label, "url": button.url, "icon": button.icon, "link": True}
            )
    return out


# The objects a payment is made of, by their reverse relation on PaymentIntent (owned by intents,
# refunds and disputes; read through the relation so lower apps' sources need not import them).
PAYMENT_PARTS = ("charges", "refunds", "disputes")


def payment_object_ids(intent) -> list[str]:
    """The public ids of the payment and its charges, refunds and disputes (at most 50 each): what
    audit entries and webhook events name as their object. One query per part, once per page view."""
    cached = intent.__dict__.get("_timeline_object_ids")
    if cached is not None:
        return cached
    from django.db import connections

    parts = [
        manager.order_by("-id").values_list("public_id", flat=True)[:50]
        for manager in (getattr(intent, part, None) for part in PAYMENT_PARTS)
        if manager is not None
    ]
    ids = [intent.public_id]
    if parts and connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        ids += parts[0].union(*parts[1:], all=True)  # one round trip (PostgreSQL)
    else:  # SQLite (the embedded demo) cannot LIMIT inside a UNION
        for part in parts:
            ids += part
    intent.__dict__["_timeline_object_ids"] = ids
    return ids


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
