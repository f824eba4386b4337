"""The settlement sync: each active connector's settlement file, fetched through the gateway
(never inside a transaction) and ingested; a run over the days it brought follows.

The acquirer reports per acquiring account, not per merchant, so the file is fetched once per
connector code and mode (through the first active connector); fetched again later (a re-sync),
the same bytes are refused as a duplicate of the first file."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.models import Connector

from ..errors import SettlementFileDuplicate
from ..models import SettlementSync
from ..tasks import settlement_sync_task
from .ingest import settlement_file_ingest
from .runs import interval_validate, reconciliation_run_create

logger = logging.getLogger(__name__)
SYNC_ACTOR = Actor.system("settlement_sync")


def _connectors(connector_id: int | None, merchant=None):
    connectors = Connector.objects.filter(status=Connector.Status.ACTIVE).order_by("code", "livemode", "id")
    if merchant is not None:
        connectors = connectors.filter(merchant=merchant)
    if connector_id is not None:
        connectors = connectors.filter(pk=connector_id)
    seen, unique = set(), []
    for connector in connectors:
        if (connector.code, connector.livemode) not in seen:
            seen.add((connector.code, connector.livemode))
            unique.append(connector)
    return unique


def settlement_sync_request(
    *,
    actor: Actor,
    interval_start: dt.date | None = None,
    interval_end: dt.date | None = None,
    merchant=None,
    livemode: bool = False,
    connector=None,
) -> SettlementSync:
    """A queued sync job over [start, end) (default: yesterday); the task runs it after commit."""
    start = interval_start or timezone.now().date() - dt.timedelta(days=1)
    end = interval_end or start + dt.timedelta(days=1)
    interval_validate(start, end)
    with transaction.atomic():
        job = SettlementSync.objects.create(merchant=merchant, livemode=livemode, connector=connector,
                                            interval_start=start, interval_end=end, requested_by=actor.label[:150])  # fmt: skip
        audit_record(actor=actor, action="reconciliation.sync_requested", merchant=merchant, obj=job,
                     after={"interval": [str(start), str(end)], "connector": connector.public_id if connector else ""})  # fmt: skip
        transaction.on_commit(lambda: settlement_sync_task.delay(job.pk))
    return job


def settlement_sync_execute(*, sync_id: int) -> SettlementSync:
    job = SettlementSync.objects.select_related("connector", "merchant").get(pk=sync_id)
    if job.status in (SettlementSync.Status.COMPLETED, SettlementSync.Status.RUNNING):
        return job  # a redelivered task: the job ran (or runs) already
    SettlementSync.objects.filter(pk=job.pk).update(status=SettlementSync.Status.RUNNING)
    try:
        result = settlement_sync(start=job.interval_start, days=(job.interval_end - job.interval_start).days,
                                 connector_id=job.connector_id, merchant=job.merchant, livemode=job.livemode,
                                 actor=Actor.system(f"settlement_sync {job.public_id}"))  # fmt: skip
        status = SettlementSync.Status.COMPLETED
    except Exception as exc:
        logger.exception("settlement sync %s failed", job.public_id)
        result, status = {"error": f"{type(exc).__name__}: {exc}"[:1000]}, SettlementSync.Status.FAILED
    SettlementSync.objects.filter(pk=job.pk).update(status=status, result=result, updated_at=timezone.now())
    job.refresh_from_db()
    return job


def settlement_sync(
    *,
    start: dt.date | None = None,
    days: int = 1,
    connector_id: int | None = None,
    actor: Actor = SYNC_ACTOR,
    run: bool = True,
    merchant=None,
    livemode: bool | None = None,
) -> dict:
    """Fetches and ingests [start, start + days) (default: yesterday) for every active connector
    (or the one given), then queues a run per connector code and mode. Returns what it did."""
    start = start or timezone.now().date() - dt.timedelta(days=1)
    result = {"files": [], "duplicates": [], "failed": [], "runs": []}
    connectors = _connectors(connector_id, merchant)
    if livemode is not None and merchant is not None:
        connectors = [c for c in connectors if c.livemode == livemode]
    for connector in connectors:
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
                                            livemode=connector.livemode, connector_code=connector.code, actor=actor,
                                            merchant=merchant)  # fmt: skip
            result["runs"].append(rec.public_id)
    return result


def settlement_sync_clock(now: dt.datetime, scope) -> dict | None:
    """A test clock's advance (apps.core.clock): each UTC day the clock's time passed is fetched,
    ingested and reconciled for the clock's merchant, as the nightly sync does for everyone (the
    files of days the clock's objects were made on name them; a day fetched twice is reported as
    a duplicate, not read again). At most 62 days per advance."""
    from apps.merchants.models import Merchant

    first, last = scope.previous.date(), now.date()
    days = min((last - first).days, 62)
    if days <= 0:
        return None
    merchant = Merchant.objects.get(pk=scope.merchant_id)
    return settlement_sync(start=first, days=days, merchant=merchant, livemode=scope.livemode,
                           actor=Actor.system(f"test_clock {scope.clock}"))  # fmt: skip


def settlement_run_handover(*, connector: Connector, date: dt.date, lines, actor: Actor) -> dict:
    """The connectors' manual settlement run (``POST /v1/connectors/{id}/run_settlement``,
    registered with apps.connectors.settlement): that day's file of this connector is fetched,
    ingested (a duplicate is reported, not re-read) and reconciled for the connector's merchant."""
    result = settlement_sync(start=date, days=1, connector_id=connector.pk, actor=actor,
                             merchant=connector.merchant, livemode=connector.livemode)  # fmt: skip
    return {"files": result["files"], "duplicates": len(result["duplicates"]),
            "failed": result["failed"], "runs": result["runs"]}  # fmt: skip
