"""Routing of verified provider events (inbound gateway webhooks) to the app that owns the state.

The owners register in their ``AppConfig.ready()``::

    inbound.register("charge.", charge_apply_inbound_event)

A handler takes ``connector`` and ``event`` (an ``InboundEvent``) and returns a short outcome
string that is stored on the inbound row. The longest registered prefix of the event type wins,
so ``charge.dispute.`` can belong to one app while ``charge.`` belongs to another. An event no
handler claims is kept (stored as ignored, with its type), never dropped, so it can be replayed
once an owner exists.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import InboundEvent

Handler = Callable[..., object]

_HANDLERS: dict[str, Handler] = {}


def register(prefix: str, handler: Handler) -> None:
    if not prefix:
        raise ValueError("An inbound handler needs a non-empty event type prefix.")
    _HANDLERS[prefix] = handler


def handler_for(event_type: str) -> Handler | None:
    matches = [prefix for prefix in _HANDLERS if event_type.startswith(prefix)]
    return _HANDLERS[max(matches, key=len)] if matches else None


def dispatch(*, connector, event: InboundEvent) -> str:
    """Applies the event through its owner; ``ignored:unhandled_type:<type>`` when nobody owns it,
    ``ignored:no_reference`` when it names no provider reference: owners find their row by
    ``gateway_reference``, and an attempt that never reached the provider has none (``""``), so an
    empty reference would otherwise match the newest such attempt."""
    handler = handler_for(event.type)
    if handler is None:
        return f"ignored:unhandled_type:{event.type}"[:200]
    if not str(event.gateway_reference or "").strip():
        return "ignored:no_reference"
    return str(handler(connector=connector, event=event))


def registered() -> dict[str, Handler]:
    return dict(_HANDLERS)
