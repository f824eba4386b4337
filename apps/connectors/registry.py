"""Adapter lookup: the only way services obtain an adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.connectors.base import ConnectorAdapter, SafeAdapter

_ADAPTERS: dict[str, type[ConnectorAdapter]] = {}


def register(cls: type[ConnectorAdapter]) -> type[ConnectorAdapter]:
    _ADAPTERS[cls.code] = cls
    return cls


def _builtin() -> None:
    if "sandbox" not in _ADAPTERS:
        from apps.connectors.sandbox import SandboxAdapter

        register(SandboxAdapter)


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
