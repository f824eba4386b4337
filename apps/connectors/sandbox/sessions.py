"""The attempts behind the sandbox's customer pages (ACS challenge, wallet approval).

The connectors app does not know payment intents; their owner registers in its
``AppConfig.ready()`` how to find the attempt waiting on an action reference and how to finish
it::

    sessions.register(find=charge_get_by_action_reference, complete=payment_intent_complete_action)

``find(reference)`` returns the waiting charge (with ``merchant``, ``amount``, ``currency`` and
``payment_intent``) or None; ``complete(intent_id=, actor=, result=, reference=)`` records the
customer's answer and returns the intent.
"""

from __future__ import annotations

from collections.abc import Callable

_OWNER: dict[str, Callable[..., object]] = {}


def register(*, find: Callable[[str], object | None], complete: Callable[..., object]) -> None:
    _OWNER["find"] = find
    _OWNER["complete"] = complete


def session_find(reference: str):
    """The attempt waiting on `reference`, or None (also when no owner registered)."""
    find = _OWNER.get("find")
    return find(reference) if find is not None else None


def session_complete(**kwargs):
    return _OWNER["complete"](**kwargs)
