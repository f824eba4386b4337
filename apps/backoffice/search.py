"""The global search (the dashboard's box, the search page and unfold's command palette): public
ids, order id, customer email, card last4 and gateway references, each matched on an index. Only
models the staff member may view are searched; models that are not installed are skipped."""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from unfold.dataclasses import SearchResult

from apps.intents.selectors import charge_gateway_reference_q

from .money import money

_TABLES: set[str] = set()


def _model(label: str):
    """The model if it is installed and migrated, else None."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    table = model._meta.db_table
    if table not in _TABLES:
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
        parts.append(money(amount, currency))
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
        # Support looks for the customer's payments first (customer_id and email are indexed).
        out.append(("intents.PaymentIntent", Q(customer__email=term.lower())))
        out.append(("vault.Customer", Q(email=term.lower())))
        return out
    if len(term) == 4 and term.isdigit():
        out.append(("intents.PaymentIntent", Q(latest_charge__last4=term)))
        out.append(("intents.Charge", Q(last4=term)))
    out.append(("intents.PaymentIntent", Q(order_id=term)))
    out.append(("intents.Charge", charge_gateway_reference_q(term)))
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


def admin_url(hit) -> str:
    app_label, model = hit.model_label.split(".")
    try:
        return reverse(f"admin:{app_label}_{model.lower()}_change", args=[hit.pk])
    except NoReverseMatch:
        return ""


def command_search(request, search_term: str) -> list[SearchResult]:
    return [
        SearchResult(title=hit.title, description=hit.detail, link=admin_url(hit), icon="search")
        for hit in global_search(search_term, user=request.user)
    ]
