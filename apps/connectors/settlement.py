"""The manual settlement run of a connector (``POST /v1/connectors/{id}/run_settlement``): the
provider's settlement report for a day is fetched through the gateway and handed over to the app
that reconciles it. That app (reconciliation, above connectors) registers its sync in its
``AppConfig.ready()``::

    settlement.register(sync)   # sync(connector=, date=, lines=, actor=) -> dict (e.g. {"run": "rec_…"})

Without a registered sync the run only reports what the provider settled (read-only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apps.audit.services import Actor, audit_record

from . import gateway
from .base import OperationNotSupported
from .errors import ConnectorOperationNotSupported, ConnectorProviderUnavailable
from .http import ProviderHTTPError
from .models import Connector

_SYNC: list[Callable[..., dict]] = []


def register(sync: Callable[..., dict]) -> None:
    _SYNC[:] = [sync]


def run_settlement(*, connector: Connector, date: dt.date, actor: Actor) -> dict:
    """Raises ``ConnectorOperationNotSupported`` (400) for a provider without settlement reports and
    ``ConnectorProviderUnavailable`` (502) when the provider cannot be reached."""
    try:
        lines = gateway.fetch_settlement_report(connector=connector, date=date)
    except OperationNotSupported as exc:
        raise ConnectorOperationNotSupported(detail=str(exc)) from None
    except ProviderHTTPError as exc:
        raise ConnectorProviderUnavailable(detail=exc.code) from None
    handed = _SYNC[0](connector=connector, date=date, lines=lines, actor=actor) if _SYNC else None
    summary = {
        "object": "settlement_run",
        "connector": connector.public_id,
        "date": date.isoformat(),
        "lines": len(lines),
        "totals": _totals(lines),
        "handed_over": handed is not None,
        "reconciliation": handed,
    }
    audit_record(actor=actor, action="connector.run_settlement", merchant=connector.merchant, obj=connector,
                 after={k: v for k, v in summary.items() if k != "object"})  # fmt: skip
    return summary


def _totals(lines) -> dict:
    totals: dict[str, dict[str, int]] = {}
    for line in lines:
        entry = totals.setdefault(line.currency.lower(), {"amount": 0, "fee": 0})
        entry["amount"] += line.amount
        entry["fee"] += line.fee
    return totals
