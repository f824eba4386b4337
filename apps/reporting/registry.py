"""Hooks for the settlement report's residuals: providers of a payout bridge's unexplained
difference. Reporting registers reconciliation's open discrepancies itself
(`apps.reconciliation.selectors.settlement_residuals`, wired in `apps.reporting.apps`, reconciliation being below it); apps above reporting may register
theirs from their `AppConfig.ready()`. (Report types have their own registry,
`apps.reporting.report_types.register`.)

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
