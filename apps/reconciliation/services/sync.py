"""The settlement sync: each active connector's settlement file, fetched through the gateway
(never inside a transaction) and ingested; a run over the days it brought follows.

The acquirer reports per acquiring account, not per merchant, so connectors sharing a code and
mode fetch the same file: the first is ingested, the others are refused as the same bytes."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors import gateway
from apps.connectors.models import Connector

from ..errors import SettlementFileDuplicate
from .ingest import settlement_file_ingest
from .runs import reconciliation_run_create

logger = logging.getLogger(__name__)
SYNC_ACTOR = Actor.system("settlement_sync")


def _connectors(connector_id: int | None):
    connectors = Connector.objects.filter(status=Connector.Status.ACTIVE).order_by("code", "livemode", "id")
    if connector_id is not None:
        connectors = connectors.filter(pk=connector_id)
    seen, unique = set(), []
    for connector in connectors:
        if (connector.code, connector.livemode) not in seen:
            seen.add((connector.code, connector.livemode))
            unique.append(connector)
    return unique


def settlement_sync(
    *,
    start: dt.date | None = None,
    days: int = 1,
    connector_id: int | None = None,
    actor: Actor = SYNC_ACTOR,
    run: bool = True,
) -> dict:
    """Fetches and ingests [start, start + days) (default: yesterday) for every active connector
    (or the one given), then queues a run per connector code and mode. Returns what it did."""
    start = start or timezone.now().date() - dt.timedelta(days=1)
    result = {"files": [], "duplicates": [], "failed": [], "runs": []}
    for connector in _connectors(connector_id):
        for offset in range(days):
            date = start + dt.timedelta(days=offset)
            try:
                filename, content, fmt = gateway.fetch_settlement_file(connector=connector, date=date)
            except Exception as exc:  # a provider we cannot reach today: logged, retried by the next sync
                logger.warning("settlement sync: %s %s: %s", connector.public_id, date, exc)
                result["failed"].append(f"{connector.code}:{date}")
                continue
            try:
                file = settlement_file_ingest(content=content, fmt=fmt, filename=filename, actor=actor,
                                              livemode=connector.livemode, connector_code=connector.code, source="sync")  # fmt: skip
            except SettlementFileDuplicate as exc:
                result["duplicates"].append(str(exc))
                continue
            (result["files"] if file.status == "processed" else result["failed"]).append(file.public_id)
        if run:
            rec = reconciliation_run_create(interval_start=start, interval_end=start + dt.timedelta(days=days),
                                            livemode=connector.livemode, connector_code=connector.code, actor=actor)  # fmt: skip
            result["runs"].append(rec.public_id)
    return result
