"""Reconciliation runs: `queued → running → completed | failed`, one Celery job each, re-runnable
and idempotent (discrepancies are upserted by key; a re-run never duplicates one)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.audit.services import Actor, audit_record

from ..errors import IntervalInvalid
from ..models import Discrepancy, LedgerItem, ReconciliationRun
from ..tasks import reconciliation_run_task
from ..transitions import assert_transition
from . import checking, findings, matching
from .turns import pass_turn

logger = logging.getLogger(__name__)
MAX_INTERVAL_DAYS = 93
RUN_ACTOR = Actor.system("reconciliation")


def interval_validate(start: dt.date, end: dt.date) -> None:
    if end <= start or (end - start).days > MAX_INTERVAL_DAYS:
        raise IntervalInvalid(days=MAX_INTERVAL_DAYS)


def reconciliation_run_create(
    *,
    interval_start: dt.date,
    interval_end: dt.date,
    actor: Actor,
    livemode: bool = False,
    connector_code: str = "",
    as_of: dt.date | None = None,
    enqueue: bool = True,
    merchant=None,
) -> ReconciliationRun:
    """A queued run over [start, end); the task runs it once the transaction commits."""
    interval_validate(interval_start, interval_end)
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            interval_start=interval_start, interval_end=interval_end, livemode=livemode, merchant=merchant,
            connector_code=connector_code, as_of=as_of or timezone.now().date(), requested_by=actor.label[:150],
        )  # fmt: skip
        audit_record(actor=actor, action="reconciliation.run_requested", obj=run, merchant=merchant,
                     after={"interval": [str(interval_start), str(interval_end)], "connector": connector_code})  # fmt: skip
        if enqueue:
            transaction.on_commit(lambda: reconciliation_run_task.delay(run.pk))
    return run


def _set_status(run_id: int, target: str, **fields) -> ReconciliationRun:
    with transaction.atomic():
        run = ReconciliationRun.objects.select_for_update().get(pk=run_id)
        assert_transition(run, target)
        run.status = target
        for name, value in fields.items():
            setattr(run, name, value)
        run.save()
    return run


def reconciliation_run_execute(*, run_id: int) -> ReconciliationRun:
    """One pass (see `matching`). The janitor first re-checks attempts whose outcome is unknown
    at the acquirer, so a settled "unknown" becomes a recorded success rather than a discrepancy."""
    run = _set_status(run_id, ReconciliationRun.Status.RUNNING, started_at=timezone.now(), error="")
    try:
        _recheck_unknown_attempts()
        counts = _pass(run)
    except Exception as exc:
        logger.exception("reconciliation run %s failed", run.public_id)
        return _set_status(run_id, ReconciliationRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
                           finished_at=timezone.now())  # fmt: skip
    return _set_status(run_id, ReconciliationRun.Status.COMPLETED, finished_at=timezone.now(), **counts)


def _recheck_unknown_attempts() -> None:
    from apps.intents.services import payment_intents_recheck

    payment_intents_recheck(older_than=dt.timedelta(minutes=2))


def _pass(run: ReconciliationRun) -> dict:
    scope = matching.Scope(run.interval_start, run.interval_end, run.livemode, run.connector_code, run.as_of,
                           run.merchant_id)  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        pass_turn()  # no resolve action commits between what the pass reads and what it writes
        matching.collect_items(cursor, scope)
        items = matching.build_item_scope(cursor, scope)
        matching.prepare_lines(cursor, scope)
        matching.prepare_all_lines(cursor)
        matching.match_items(cursor, scope)
        checking.check_items(cursor, scope)
        matching.match_bank(cursor, scope)
        found = findings.found_discrepancies(cursor, scope)
        cursor.execute("SELECT COUNT(*) FROM recon_lines WHERE settled_on >= %s AND settled_on < %s",
                       [scope.start, scope.end])  # fmt: skip
        lines = cursor.fetchone()[0]
        _upsert(run, found)
        _clear(run, scope, {f.key for f in found})
        # (the statuses step 3 decided and wrote: no second scan of the items)
        cursor.execute("SELECT status, COUNT(*) FROM recon_checks GROUP BY status")
        statuses = dict(cursor.fetchall())
    summary = run_summary(run)
    return {
        "items_processed": items,
        "lines_processed": lines,
        "matched": statuses.get("matched", 0),
        "expected": statuses.get("expected", 0),
        "open_discrepancies": summary["open_total"],
        "summary": summary,
    }


_UPDATED = (
    "type",
    "diffs",
    "difference",
    "line_id",
    "batch_id",
    "bank_line_id",
    "merchant_id",
    "last_seen_run_id",
)


def _upsert(run: ReconciliationRun, found: list[findings.Found]) -> None:
    existing = {d.key: d for d in Discrepancy.objects.filter(key__in=[f.key for f in found])}
    new, changed = [], []
    for f in found:
        values = {"type": f.type, "diffs": f.diffs or [], "difference": f.difference, "line_id": f.line_id,
                  "batch_id": f.batch_id, "bank_line_id": f.bank_line_id, "merchant_id": f.merchant_id,
                  "last_seen_run_id": run.pk}  # fmt: skip
        current = existing.get(f.key)
        if current is None:
            new.append(Discrepancy(
                public_id=_id(), key=f.key, run=run, livemode=run.livemode, connector_code=f.connector_code,
                currency=f.currency, day=f.day, item_id=f.item_id, **values,
            ))  # fmt: skip
            continue
        if current.status == Discrepancy.Status.RESOLVED:
            if current.resolution != Discrepancy.Resolution.CLEARED:
                # Decided by finance: the cause is still there, the decision stands (and says so).
                current.last_seen_run_id = run.pk
                changed.append(current)
                continue
            current.status, current.resolution, current.resolved_at = Discrepancy.Status.OPEN, "", None
            current.note = f"Reopened by {run.public_id}: found again.\n{current.note}".strip()
        for name, value in values.items():
            setattr(current, name, value)
        changed.append(current)
    Discrepancy.objects.bulk_create(new, batch_size=1000)
    Discrepancy.objects.bulk_update(changed, [*_UPDATED, "status", "resolution", "resolved_at", "note"],
                                    batch_size=1000)  # fmt: skip


def _id() -> str:
    from apps.core.ids import generate_id

    return generate_id(Discrepancy.ID_PREFIX)


def _clear(run: ReconciliationRun, scope: matching.Scope, keys: set[str]) -> int:
    """Open discrepancies of the pass no longer found: the rows agree now (a late line, a corrected
    file, an edit). Resolved as `cleared` with the run named; each one audited."""
    others = Q(item__isnull=True, livemode=scope.livemode, day__gte=scope.start, day__lt=scope.end,
               **({"connector_code": scope.connector_code} if scope.connector_code else {}))  # fmt: skip
    if scope.merchant_id is not None:  # a merchant's pass decides only what is its own
        others &= Q(merchant_id=scope.merchant_id, line__merchant_id=scope.merchant_id) | Q(
            merchant_id=scope.merchant_id, batch__merchant_id=scope.merchant_id, line__isnull=True
        )
    in_scope = Q(item_id__in=RawSQL("SELECT id FROM recon_scope", [])) | others
    stale = list(
        Discrepancy.objects.select_related("merchant")
        .filter(in_scope, status=Discrepancy.Status.OPEN)
        .exclude(key__in=keys)
    )
    now = timezone.now()
    for discrepancy in stale:
        discrepancy.status = Discrepancy.Status.RESOLVED
        discrepancy.resolution = Discrepancy.Resolution.CLEARED
        discrepancy.resolved_at = now
        discrepancy.resolved_by = RUN_ACTOR.label
        discrepancy.note = f"Cleared by {run.public_id}: the rows agree now."
        discrepancy.last_seen_run = run
    Discrepancy.objects.bulk_update(stale, ["status", "resolution", "resolved_at", "resolved_by", "note",
                                            "last_seen_run"])  # fmt: skip
    for discrepancy in stale:
        audit_record(actor=RUN_ACTOR, action="reconciliation.discrepancy_cleared", obj=discrepancy,
                     merchant=discrepancy.merchant, after={"run": run.public_id, "type": discrepancy.type},
                     reason=discrepancy.note)  # fmt: skip
    return len(stale)


def run_summary(run: ReconciliationRun) -> dict:
    """Matched / expected by count, and the open discrepancies by type with their amounts."""
    mine = {"merchant_id": run.merchant_id} if run.merchant_id else {}
    items = LedgerItem.objects.filter(
        livemode=run.livemode, effective_on__gte=run.interval_start, effective_on__lt=run.interval_end,
        **({"connector_code": run.connector_code} if run.connector_code else {}), **mine,
    )  # fmt: skip
    by_status = Counter(dict(items.values_list("status").annotate(n=Count("id")).order_by()))
    open_rows = (
        Discrepancy.objects.filter(status=Discrepancy.Status.OPEN, livemode=run.livemode,
                                   day__gte=run.interval_start, day__lt=run.interval_end,
                                   **({"connector_code": run.connector_code} if run.connector_code else {}),
                                   **mine)
        .values("type", "currency").annotate(n=Count("id"), amount=Sum("difference")).order_by("type", "currency")
    )  # fmt: skip
    by_type: dict[str, list] = defaultdict(list)
    for row in open_rows:
        by_type[row["type"]].append(
            {"currency": row["currency"], "count": row["n"], "difference": row["amount"]}
        )
    return {
        "items": dict(sorted(by_status.items())),
        "open_by_type": dict(sorted(by_type.items())),
        "open_total": sum(r["count"] for rows in by_type.values() for r in rows),
    }
