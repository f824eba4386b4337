"""Where a customer goes after a provider's hosted page (ZainCash, Telr, PayTabs…).

The provider sends the customer's browser back to Clearhouse's gateway return endpoint for the
connector (``gateway.adapter_config``'s ``return_url``), where the provider's signed answer is
stored, verified and applied like any callback (``apps.webhooks`` inbound pipeline). Then the
customer is sent on to the payment's own ``return_url``. The connectors app does not know
payments; their owner registers, in its ``AppConfig.ready()``, how to find that URL::

    returns.register(customer_return_url)   # (connector_id, gateway_reference) -> str | None

Some providers' returns carry nothing signed and not even their own reference (Telr sends the
browser back to the URL given at create time, unchanged): the return URL then names *our*
reference (the attempt's idempotency key, the adapter's ``return_reference``), and the owner of
the attempts says which provider reference it stored for it, so the adapter can read the outcome
back from the provider (``gateway.parse_inbound_webhook`` → the adapter's ``parse_return``)::

    returns.register_reference(charge_gateway_reference)   # (connector_id, our_key) -> str | None
"""

from __future__ import annotations

from collections.abc import Callable

_FINDERS: list[Callable[[int, str], str | None]] = []
_REFERENCES: list[Callable[[int, str], str | None]] = []


def register(finder: Callable[[int, str], str | None]) -> None:
    if finder not in _FINDERS:
        _FINDERS.append(finder)


def customer_return_url(connector_id: int | None, gateway_reference: str) -> str | None:
    """The URL the customer continues to, or None (no payment, or it named no return_url)."""
    if connector_id is None or not gateway_reference:
        return None
    for finder in _FINDERS:
        url = finder(connector_id, gateway_reference)
        if url:
            return url
    return None


def register_reference(finder: Callable[[int, str], str | None]) -> None:
    if finder not in _REFERENCES:
        _REFERENCES.append(finder)


def gateway_reference_for(connector_id: int | None, reference: str) -> str | None:
    """The provider reference stored for our ``reference`` on this connector, or None (no such
    attempt, or it never reached the provider)."""
    if connector_id is None or not reference:
        return None
    for finder in _REFERENCES:
        found = finder(connector_id, reference)
        if found:
            return found
    return None
