"""Adapter lookup: the only way services obtain an adapter.

The sandbox is built in. Real providers are found by scanning ``apps.connectors.adapters``: every
sub-package there that exports ``ADAPTER`` (a ``ConnectorAdapter`` subclass) is registered under
its ``code`` the first time the registry is asked — adding a provider is adding its package.
Tests may ``register`` an adapter class of their own and ``unregister`` it afterwards.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from apps.connectors.base import ConnectorAdapter, SafeAdapter

ADAPTERS_PACKAGE = "apps.connectors.adapters"

_ADAPTERS: dict[str, type[ConnectorAdapter]] = {}
_DISCOVERED: list[bool] = []


def register(cls: type[ConnectorAdapter]) -> type[ConnectorAdapter]:
    if not cls.code:
        raise ValueError(f"{cls.__name__} has no code.")
    _ADAPTERS[cls.code] = cls
    return cls


def discover() -> list[str]:
    """Imports every provider package under ``apps.connectors.adapters`` and registers its
    ``ADAPTER``; answers the codes found. A package without ``ADAPTER`` is an error, not a skip:
    a provider half-added must fail loudly."""
    package = importlib.import_module(ADAPTERS_PACKAGE)
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{ADAPTERS_PACKAGE}.{info.name}")
        cls = getattr(module, "ADAPTER", None)
        if not (isinstance(cls, type) and issubclass(cls, ConnectorAdapter)):
            raise ImportError(f"{module.__name__} exports no ADAPTER (a ConnectorAdapter subclass).")
        register(cls)
        found.append(cls.code)
    return found


def _builtin() -> None:
    if _DISCOVERED:
        return
    from apps.connectors.sandbox import SandboxAdapter

    register(SandboxAdapter)
    discover()
    _DISCOVERED.append(True)


def available_codes() -> list[str]:
    _builtin()
    return sorted(_ADAPTERS)


def adapter_class(code: str) -> type[ConnectorAdapter]:
    _builtin()
    try:
        return _ADAPTERS[code]
    except KeyError:
        raise LookupError(f"No connector adapter named {code!r}.") from None


def adapter_classes() -> list[type[ConnectorAdapter]]:
    _builtin()
    return [_ADAPTERS[code] for code in sorted(_ADAPTERS)]


def provider_classes() -> list[type[ConnectorAdapter]]:
    """The real providers (every registered adapter found in ``apps.connectors.adapters``)."""
    return [cls for cls in adapter_classes() if cls.__module__.startswith(ADAPTERS_PACKAGE + ".")]


def get_adapter(
    code: str,
    *,
    credentials: Mapping[str, Any] | None = None,
    livemode: bool = False,
    config: Mapping[str, Any] | None = None,
) -> SafeAdapter:
    """An adapter instance wrapped so it never raises into services."""
    _builtin()
    try:
        cls = _ADAPTERS[code]
    except KeyError:
        raise LookupError(f"No connector adapter named {code!r}.") from None
    return SafeAdapter(cls(credentials=credentials, livemode=livemode, config=config))


def unregister(code: str) -> None:
    """Removes an adapter (tests that register a provider of their own)."""
    if code != "sandbox":
        _ADAPTERS.pop(code, None)


# Payment method types that are not cards: a wallet or bank page the customer is sent to.
_CARD_LIKE = frozenset({"card", "apple_pay", "google_pay"})
_CUSTOMER_STEP_FLOWS = frozenset({"redirect", "qr", "deep_link"})


def redirect_payment_method_types() -> frozenset[str]:
    """The payment method types real providers take through a hosted page, a QR code or an app
    link (``zaincash``, ``fib``…): declared in their capability matrices, so a provider's own
    wallet type is accepted by payment intents without an edit anywhere else."""
    types: set[str] = set()
    for cls in provider_classes():
        matrix = cls.matrix()
        flows = matrix.get("flows")
        if flows is None or not (_CUSTOMER_STEP_FLOWS & set(flows)):
            continue
        types.update(t for t in (matrix.get("payment_method_types") or ()) if t not in _CARD_LIKE)
    return frozenset(types)
