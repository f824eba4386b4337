"""Reconciliation's residuals on the settlement report's payout bridge: the open discrepancies
of the merchant's day and currency (reporting sits above reconciliation, so it reads them
through `apps.reconciliation.selectors` itself; registered in `ReportingConfig.ready`)."""

from apps.reconciliation.selectors import describe_diffs, open_discrepancies


def reconciliation_residuals(*, merchant, livemode: bool, day, currency: str) -> list[dict]:
    rows = (
        open_discrepancies(livemode=livemode, day=day)
        .filter(merchant=merchant, currency__iexact=currency)
        .order_by("id")
    )
    return [
        {
            "discrepancy": d.public_id,
            "type": d.type,
            "amount": d.difference,
            "status": d.status,
            "description": describe_diffs(d),
        }
        for d in rows
    ]
