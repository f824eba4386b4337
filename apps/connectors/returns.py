"""Where a customer goes after a provider's hosted page (ZainCash, Telr, PayTabs…).

The provider sends the customer's browser back to Clearhouse's gateway return endpoint for the
connector (``gateway.adapter_config``'s ``return_url``), where the provider's signed answer is
stored, verified and applied like any callback (``apps.webhooks`` inbound pipeline). Then the
customer is sent on to the payment's own ``return_url``. The connectors app does not know
payments; their owner registers, in its ``AppConfig.ready()``, how to find that URL::

    returns.register(customer_return_url)   # (connector_id, gateway_reference) -> str | None
"""

from __future__ import annotations

from collections.abc import Callable

_FINDERS: list[Callable[[int, str], str | None]] = []


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
