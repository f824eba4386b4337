"""Read-only aggregates for the back-office dashboard, and the global search.

Every figure is one aggregate query (GROUP BY in PostgreSQL, no per-row Python), filtered on
indexed columns (created_at, merchant). Models that are not installed yet are skipped, so the
dashboard works while apps land."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q, Sum
from django.utils import timezone

PERIODS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days"}


_TABLES: set[str] = set()


def _model(label: str):
    """The model if it is installed and migrated (apps land one by one), else None."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    table = model._meta.db_table
    if table not in _TABLES:
        from django.db import connection

        with connection.cursor() as cursor:
            _TABLES.update(connection.introspection.table_names(cursor))
        if table not in _TABLES:
            return None
    return model


def _has(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def period_start(period: str, now=None):
    now = now or timezone.now()
    if period == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now - timedelta(days=7 if period == "7d" else 30)


def _scoped(model, *, since, merchant_id, livemode):
    qs = model.objects.filter(created_at__gte=since)
    if merchant_id is not None and _has(model, "merchant"):
        qs = qs.filter(merchant_id=merchant_id)
    if livemode is not None and _has(model, "livemode"):
        qs = qs.filter(livemode=livemode)
    return qs.order_by()


@dataclass
class DashboardFigures:
    period: str
    since: object
    volume_by_currency: list[dict] = field(default_factory=list)  # currency, amount, count
    attempts: int = 0
    authorized: int = 0
    declines: list[dict] = field(default_factory=list)  # reason, count
    refunds_by_currency: list[dict] = field(default_factory=list)  # currency, amount, count
    refunds_awaiting_approval: int = 0
    payouts: list[dict] = field(default_factory=list)  # status, currency, amount, count
    deliveries: int = 0
    deliveries_failed: int = 0
    approvals_pending: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def authorization_rate(self) -> float | None:
        return None if not self.attempts else round(100 * self.authorized / self.attempts, 1)

    @property
    def webhook_failure_rate(self) -> float | None:
        return None if not self.deliveries else round(100 * self.deliveries_failed / self.deliveries, 1)


def dashboard_figures(
    *, period: str = "today", merchant_id: int | None = None, livemode=None
) -> DashboardFigures:
    period = period if period in PERIODS else "today"
    since = period_start(period)
    figures = DashboardFigures(period=period, since=since)
    scope = {"since": since, "merchant_id": merchant_id, "livemode": livemode}

    intent = _model("intents.PaymentIntent")
    if intent is not None:
        figures.volume_by_currency = list(
            _scoped(intent, **scope)
            .filter(status="succeeded")
            .values("currency")
            .annotate(amount=Sum("amount_received"), count=Count("id"))
            .order_by("-count")
        )
    else:
        figures.missing.append("payments")

    charge = _model("intents.Charge")
    if charge is not None:
        ok = ["authorized", "succeeded", "canceled"]
        row = _scoped(charge, **scope).aggregate(
            attempts=Count("id", filter=Q(status__in=[*ok, "failed"])),
            authorized=Count("id", filter=Q(status__in=ok)),
        )
        figures.attempts, figures.authorized = row["attempts"], row["authorized"]
        reason = "decline_code" if _has(charge, "decline_code") else "failure_code"
        figures.declines = [
            {"reason": r[reason] or "unspecified", "count": r["count"]}
            for r in _scoped(charge, **scope)
            .filter(status="failed")
            .values(reason)
            .annotate(count=Count("id"))
            .order_by("-count")[:8]
        ]

    refund = _model("refunds.Refund")
    if refund is not None:
        figures.refunds_by_currency = list(
            _scoped(refund, **scope)
            .exclude(status__in=["failed", "canceled"])
            .values("currency")
            .annotate(amount=Sum("amount"), count=Count("id"))
            .order_by("-count")
        )
        waiting = refund.objects.filter(status="requires_approval")
        if merchant_id is not None:
            waiting = waiting.filter(merchant_id=merchant_id)
        figures.refunds_awaiting_approval = waiting.count()
    else:
        figures.missing.append("refunds")

    payout = _model("payouts.Payout")
    if payout is not None and _has(payout, "status") and _has(payout, "amount"):
        qs = payout.objects.filter(status__in=["pending", "failed"]).order_by()
        if merchant_id is not None and _has(payout, "merchant"):
            qs = qs.filter(merchant_id=merchant_id)
        if _has(payout, "currency"):
            figures.payouts = list(
                qs.values("status", "currency")
                .annotate(amount=Sum("amount"), count=Count("id"))
                .order_by("status")
            )
    else:
        figures.missing.append("payouts")

    delivery = _model("webhooks.Delivery")
    if delivery is not None:
        row = _scoped(delivery, **scope).aggregate(
            total=Count("id", filter=~Q(status="pending")), failed=Count("id", filter=Q(status="failed"))
        )
        figures.deliveries, figures.deliveries_failed = row["total"], row["failed"]

    approval = _model("approvals.ApprovalRequest")
    if approval is not None:
        qs = approval.objects.filter(status="pending")
        if merchant_id is not None:
            qs = qs.filter(merchant_id=merchant_id)
        figures.approvals_pending = qs.count()
    return figures


# --- global search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "payment", "charge", "refund", "customer", "payout", …
    public_id: str
    title: str
    detail: str
    model_label: str  # app_label.model_name, for the admin URL and permission check
    pk: int


# public-id prefix → model label
PREFIXES = {
    "pi": "intents.PaymentIntent",
    "ch": "intents.Charge",
    "re": "refunds.Refund",
    "cus": "vault.Customer",
    "pm": "vault.PaymentMethod",
    "po": "payouts.Payout",
    "evt": "webhooks.Event",
    "we": "webhooks.WebhookEndpoint",
    "apr": "approvals.ApprovalRequest",
    "acct": "merchants.Merchant",
    "dp": "disputes.Dispute",
}
KINDS = {
    "intents.PaymentIntent": "payment",
    "intents.Charge": "charge",
    "refunds.Refund": "refund",
    "vault.Customer": "customer",
    "vault.PaymentMethod": "payment method",
    "payouts.Payout": "payout",
    "webhooks.Event": "event",
    "webhooks.WebhookEndpoint": "webhook endpoint",
    "approvals.ApprovalRequest": "approval",
    "merchants.Merchant": "merchant",
    "disputes.Dispute": "dispute",
}
SEARCH_LIMIT = 20


def _hit(obj, label: str) -> SearchHit:
    amount = getattr(obj, "amount", None)
    currency = getattr(obj, "currency", "") or ""
    status = getattr(obj, "status", "") or ""
    parts = []
    if amount is not None and currency:
        from apps.reporting.formatting import format_money

        parts.append(format_money(amount, currency))
    if status:
        parts.append(status)
    for attr in ("order_id", "email", "last4", "gateway_reference"):
        value = getattr(obj, attr, "")
        if value:
            parts.append(f"{attr.replace('_', ' ')} {value}")
    merchant = getattr(obj, "merchant", None) if _has(type(obj), "merchant") else None
    if merchant is not None:
        parts.append(merchant.name)
    return SearchHit(
        kind=KINDS.get(label, type(obj)._meta.verbose_name),
        public_id=getattr(obj, "public_id", str(obj.pk)),
        title=f"{KINDS.get(label, '').capitalize()} {getattr(obj, 'public_id', obj.pk)}".strip(),
        detail=" · ".join(parts),
        model_label=label,
        pk=obj.pk,
    )


def _queries(term: str) -> list[tuple[str, Q]]:
    """(model label, condition) pairs to try for `term`; every condition hits an index."""
    term = term.strip()
    out: list[tuple[str, Q]] = []
    prefix = term.split("_", 1)[0] if "_" in term else ""
    if prefix in PREFIXES:
        out.append((PREFIXES[prefix], Q(public_id=term)))
        return out
    if "@" in term:
        out.append(("vault.Customer", Q(email=term.lower())))
        return out
    if len(term) == 4 and term.isdigit():
        out.append(("intents.Charge", Q(last4=term)))
    out.append(("intents.PaymentIntent", Q(order_id=term)))
    out.append(("intents.Charge", Q(gateway_reference=term)))
    out.append(("refunds.Refund", Q(gateway_reference=term)))
    out.append(("payouts.Payout", Q(gateway_reference=term)))
    return out


def global_search(term: str, *, user=None, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Find payments, charges, refunds, customers, payouts… by public id, order id, customer
    email, card last4 or gateway reference. Only models the user may view are searched."""
    term = (term or "").strip()
    if len(term) < 3 and not (len(term) == 4 and term.isdigit()):
        return []
    hits: list[SearchHit] = []
    for label, condition in _queries(term):
        model = _model(label)
        if model is None:
            continue
        needed = [name for (name, _value) in condition.children if isinstance(_value, str)]
        if any(not _has(model, name.split("__")[0]) for name in needed):
            continue
        if user is not None and not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            continue
        qs = model.objects.filter(condition).order_by("-pk")
        if _has(model, "merchant"):
            qs = qs.select_related("merchant")
        for obj in qs[: limit - len(hits)]:
            hits.append(_hit(obj, label))
        if len(hits) >= limit:
            break
    return hits
