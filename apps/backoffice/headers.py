"""Object page headers beyond the payment workbench (customers, merchants…): the object's own
admin draws what it is (a headline, a status badge, its facts, its own actions) and other apps add
their part — totals, links, one-click actions — by registering for the model, as they do for the
payment timeline (`apps.backoffice.timeline`)::

    from apps.backoffice.headers import HeaderAction, HeaderFact, header_part

    @header_part("vault.customer", "payments")
    def customer_payments(request, customer):
        yield HeaderFact("Paid", "120.00 USD · 30.00 EUR", url=...)
        if request.user.has_perm("refunds.add_refund"):
            yield HeaderAction("refund-latest", "Refund latest payment", url=..., icon="undo")

A part receives the request (to ask the viewer's permissions: offer only what this role may do)
and the object, yields `HeaderFact`s and `HeaderAction`s, and keeps to one or two bounded indexed
queries: every part runs on each page view. A part that raises is left out (and logged) instead
of breaking the page. The template is `admin/backoffice/object_header.html`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeaderFact:
    label: str
    value: str
    url: str = ""


@dataclass(frozen=True)
class HeaderAction:
    name: str
    label: str
    url: str
    icon: str = "arrow_forward"  # a Material Symbols name


Part = Callable[[object, object], Iterable["HeaderFact | HeaderAction"]]
_PARTS: dict[str, dict[str, Part]] = {}


def header_part(model_label: str, name: str) -> Callable[[Part], Part]:
    """Registers `func(request, obj)` for objects of `model_label` ("app_label.model_name",
    lower case); a second registration under the same name replaces the first."""

    def decorator(func: Part) -> Part:
        _PARTS.setdefault(model_label.lower(), {})[name] = func
        return func

    return decorator


def object_header(
    request, obj, *, label: str, headline: str, status: str = "", tone: str = "",
    facts: Iterable[HeaderFact] = (), actions: Iterable[HeaderAction] = (),
) -> dict:  # fmt: skip
    """The context `object_header.html` draws: the admin's own facts and actions first, then each
    registered part's, in registration order."""
    facts, actions = list(facts), list(actions)
    for name, part in _PARTS.get(obj._meta.label_lower, {}).items():
        try:
            rows = list(part(request, obj))
        except Exception:  # one app's bug must not take the customer's or merchant's page down
            log.exception("header part %s failed for %s", name, getattr(obj, "public_id", obj))
            continue
        facts += [r for r in rows if isinstance(r, HeaderFact)]
        actions += [r for r in rows if isinstance(r, HeaderAction)]
    return {
        "label": label,
        "amount": headline,
        "status": status,
        "tone": tone,
        "facts": [(f.label, f.value, f.url) for f in facts],
        "actions": [{"name": a.name, "label": a.label, "url": a.url, "icon": a.icon} for a in actions],
    }
