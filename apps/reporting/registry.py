"""Hooks apps register into from their `AppConfig.ready()`: report types
(`apps.reporting.report_types.register`) and providers of the settlement report's residuals —
reconciliation's open discrepancies explain a payout bridge's unexplained difference (it sits
below reporting, so reporting registers its selector itself, in `apps.reporting.apps`).

A residual provider is called as `provider(merchant=, livemode=, day=, currency=)` and returns
a list of dicts: {"discrepancy": id, "amount": minor units, "status": ..., "description": ...}.
"""

from collections.abc import Callable

_RESIDUAL_PROVIDERS: list[Callable[..., list[dict]]] = []


def register_settlement_residuals(provider: Callable[..., list[dict]]) -> None:
    if provider not in _RESIDUAL_PROVIDERS:
        _RESIDUAL_PROVIDERS.append(provider)


def settlement_residual_providers() -> list[Callable[..., list[dict]]]:
    return list(_RESIDUAL_PROVIDERS)
