"""Balance snapshots: each account's balance rolled forward to a posting id, so a balance read
sums only the postings after it."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Sum

from ..models import BalanceSnapshot, Posting, SnapshotHorizon


def _committed_horizon() -> tuple[SnapshotHorizon, int]:
    """The current horizon and the highest posting id below which every transaction has
    committed: a SHARE lock on the postings table (held for one statement) waits for the writers
    in flight, so every id ≤ the max read under it is committed and later ids are larger."""
    with transaction.atomic():
        horizon, _ = SnapshotHorizon.objects.select_for_update().get_or_create(pk=1)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
                cursor.execute(f"LOCK TABLE {Posting._meta.db_table} IN SHARE MODE")
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Posting._meta.db_table}")  # noqa: S608
                upto = cursor.fetchone()[0]
        else:
            upto = Posting.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return horizon, upto


def ledger_snapshots_refresh() -> int:
    """Rolls every account's snapshot forward to the committed horizon. Returns the new horizon."""
    horizon, upto = _committed_horizon()
    if upto <= horizon.upto_posting_id:
        return horizon.upto_posting_id
    with transaction.atomic():
        horizon = SnapshotHorizon.objects.select_for_update().get(pk=1)
        if upto <= horizon.upto_posting_id:
            return horizon.upto_posting_id
        sums = list(
            Posting.objects.filter(id__gt=horizon.upto_posting_id, id__lte=upto)
            .order_by()
            .values("account_id")
            .annotate(total=Sum("amount"))
        )
        existing = {
            s.account_id: s
            for s in BalanceSnapshot.objects.select_for_update().filter(
                account_id__in=[r["account_id"] for r in sums]
            )
        }
        create, update = [], []
        for row in sums:
            snap = existing.get(row["account_id"])
            if snap is None:
                create.append(
                    BalanceSnapshot(account_id=row["account_id"], upto_posting_id=upto, balance=row["total"])
                )
            else:
                snap.balance += row["total"]
                update.append(snap)
        BalanceSnapshot.objects.bulk_create(create)
        for snap in update:
            snap.upto_posting_id = upto
        BalanceSnapshot.objects.bulk_update(
            update, ["balance", "upto_posting_id", "updated_at"], batch_size=1000
        )
        # Accounts without new postings keep their old mark: nothing lies between it and `upto`.
        horizon.upto_posting_id = upto
        horizon.save()
    return upto
