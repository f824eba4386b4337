from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.selectors import tenant_get

from .models import Dispute
from .payloads import dispute_balance_transactions
from .transitions import AWAITING_RESPONSE


def dispute_get(*, merchant, livemode: bool, id: str) -> Dispute:
    return tenant_get(
        Dispute.objects.select_related("payment_intent", "charge"),
        merchant=merchant, livemode=livemode, id=id, resource="dispute",
    )  # fmt: skip


def dispute_list(*, merchant, livemode: bool, filters: dict | None = None) -> QuerySet[Dispute]:
    filters = filters or {}
    qs = Dispute.objects.select_related("payment_intent", "charge").filter(
        merchant=merchant, livemode=livemode
    )
    if filters.get("payment_intent"):
        qs = qs.filter(payment_intent__public_id=filters["payment_intent"])
    if filters.get("charge"):
        qs = qs.filter(charge__public_id=filters["charge"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("due_before") is not None:
        qs = qs.filter(due_by__lt=filters["due_before"])
    return qs


def disputes_awaiting_response(*, within: dt.timedelta | None = None) -> QuerySet[Dispute]:
    """Every merchant's disputes still waiting for evidence (the back office's queue and its
    dashboard count), optionally only those due within `within`."""
    qs = Dispute.objects.filter(status__in=AWAITING_RESPONSE, past_due=False)
    if within is not None:
        qs = qs.filter(due_by__lte=timezone.now() + within)
    return qs


def dispute_daily_counts(*, start, end, tz, merchant_id=None, livemode=None) -> dict:
    """Disputes opened (created_at) and disputes due (due_by) per calendar day of `tz` within
    [start, end): {day: {"opened": n, "due": n}}. Two GROUP BY queries on indexed columns."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    scope = {}
    if merchant_id is not None:
        scope["merchant_id"] = merchant_id
    if livemode is not None:
        scope["livemode"] = livemode
    out: dict = {}
    for name, column in (("opened", "created_at"), ("due", "due_by")):
        rows = (
            Dispute.objects.filter(**scope, **{f"{column}__gte": start, f"{column}__lt": end})
            .order_by()
            .values(day=TruncDate(column, tzinfo=tz))
            .annotate(n=Count("id"))
        )
        for row in rows:
            out.setdefault(row["day"], {"opened": 0, "due": 0})[name] = row["n"]
    return out


_TITLES = {
    "dispute.created": "Dispute opened by the network",
    "dispute.status_changed": "Network status change",
    "dispute.flipped": "Network flipped the outcome",
    "dispute.stale_event": "Stale network event ignored",
    "dispute.update": "Evidence saved (draft)",
    "dispute.evidence_submitted": "Evidence submitted",
    "dispute.accept_requested": "Accept requested (awaiting approval)",
    "dispute.accepted": "Dispute accepted (lost)",
    "dispute.deadline_reminder": "Deadline reminder sent",
    "dispute.past_due": "Deadline passed: lost",
}


def _audit_detail(entry: AuditEntry) -> str:
    after, before = entry.after or {}, entry.before or {}
    parts = []
    if before.get("status") and after.get("status") and before["status"] != after["status"]:
        parts.append(f"{before['status']} → {after['status']}")
    elif after.get("status"):
        parts.append(str(after["status"]))
    if after.get("evidence"):
        parts.append("fields: " + ", ".join(sorted(after["evidence"])))
    for key in ("event", "reminder", "approval", "event_status"):
        if after.get(key):
            parts.append(f"{key} {after[key]}")
    parts.append(f"by {entry.actor_label}")
    if entry.reason:
        parts.append(f"“{entry.reason}”")
    return " · ".join(parts)


def dispute_timeline(dispute: Dispute) -> list[dict]:
    """Network events, evidence versions, the submission, reminders, approvals and ledger entries
    of one dispute, oldest first (its audit entries and balance transactions)."""
    entries = []
    audit = AuditEntry.objects.filter(object_type="disputes.dispute", object_id=dispute.public_id).order_by(
        "id"
    )
    for entry in audit[:300]:
        entries.append({"at": entry.created_at, "kind": entry.action.removeprefix("dispute."),
                        "title": _TITLES.get(entry.action, entry.action), "detail": _audit_detail(entry),
                        "evidence": (entry.after or {}).get("evidence") or {}})  # fmt: skip
    for line in dispute_balance_transactions(dispute):
        entries.append({"at": line.created_at, "kind": "ledger", "title": f"Balance: {line.type}",
                        "detail": line.public_id, "amount": line.net, "currency": line.currency, "evidence": {}})  # fmt: skip
    return sorted(entries, key=lambda e: e["at"])


def _address(value) -> str:
    if not isinstance(value, dict):
        return ""
    keys = ("line1", "line2", "city", "state", "postal_code", "country")
    return ", ".join(str(value[k]) for k in keys if value.get(k))


def dispute_prefill(dispute: Dispute) -> dict[str, str]:
    """Evidence Clearhouse already knows about the payment, to prefill the empty fields of the
    back office's form: the customer's name, email and billing address, what the payment was,
    and the card checks (AVS, CVC, 3D Secure) as an access/authentication record."""
    intent, charge = dispute.payment_intent, dispute.charge
    customer = intent.customer if intent.customer_id else None
    method = charge.payment_method if charge.payment_method_id else None
    billing = (method.billing_details if method is not None else None) or {}
    checks = [f"Card {(charge.last4 and '•••• ' + charge.last4) or ''} authorised {charge.authorized_at:%Y-%m-%d %H:%M} UTC"
              if charge.authorized_at else "",
              f"CVC check: {charge.cvc_check}" if charge.cvc_check else "",
              f"AVS line1: {charge.address_line1_check}" if charge.address_line1_check else "",
              f"AVS postal code: {charge.address_postal_code_check}" if charge.address_postal_code_check else "",
              f"3D Secure: {(charge.three_ds or {}).get('result')}" if charge.three_ds else ""]  # fmt: skip
    found = {
        "customer_name": (customer.name if customer else "") or billing.get("name") or "",
        "customer_email_address": intent.receipt_email
        or (customer.email if customer else "")
        or billing.get("email")
        or "",
        "billing_address": _address(billing.get("address"))
        or _address(customer.address if customer else None),
        "product_description": intent.description or "",
        "access_activity_log": "\n".join(c for c in checks if c),
    }
    return {name: value for name, value in found.items() if value}
