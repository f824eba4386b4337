"""Read queries for events and webhook endpoints, tenant-scoped, shared by the API and the admin."""

import re

from django.db.models import Count, Q, QuerySet

from apps.core.selectors import tenant_get

from .errors import EventTypeFilterInvalid
from .models import Delivery, Event, WebhookEndpoint

EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")


def event_type_matches(pattern: str, type_: str) -> bool:
    """`*` matches everything, `payment_intent.*` every type under that prefix, else exact."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return type_.startswith(pattern[:-1])
    return pattern == type_


def endpoint_matches(endpoint: WebhookEndpoint, type_: str) -> bool:
    return any(event_type_matches(p, type_) for p in endpoint.enabled_events or [])


def _type_q(pattern: str, *, param: str) -> Q | None:
    if not EVENT_PATTERN.match(pattern):
        raise EventTypeFilterInvalid(pattern=pattern, param=param)
    if pattern.endswith(".*"):
        return Q(type__startswith=pattern[:-1])
    return None if pattern == "*" else Q(type=pattern)


def event_list(
    *, merchant, livemode: bool, type: str | None = None, types: list[str] | None = None
) -> QuerySet[Event]:
    """`type` (one exact type or `prefix.*`) and `types` (any of several, as Stripe's `types[]`)."""
    qs = Event.objects.filter(merchant=merchant, livemode=livemode).annotate(
        pending_webhooks=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING))
    )
    if type:
        q = _type_q(type, param="type")
        if q is not None:
            qs = qs.filter(q)
    if types:
        combined = Q()
        for index, pattern in enumerate(types):
            q = _type_q(pattern, param=f"types[{index}]")
            if q is None:
                return qs
            combined |= q
        qs = qs.filter(combined)
    return qs


def event_get(*, merchant, livemode: bool, id: str) -> Event:
    events = event_list(merchant=merchant, livemode=livemode)  # with its pending_webhooks count
    return tenant_get(events, merchant=merchant, livemode=livemode, id=id, resource="event")


def endpoint_list(*, merchant, livemode: bool) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(merchant=merchant, livemode=livemode, deleted_at__isnull=True)


def endpoint_get(*, merchant, livemode: bool, id: str) -> WebhookEndpoint:
    return tenant_get(
        WebhookEndpoint.objects.filter(deleted_at__isnull=True),
        merchant=merchant, livemode=livemode, id=id, resource="webhook_endpoint",
    )  # fmt: skip


def default_signing_endpoint(*, merchant_id: int, livemode: bool) -> WebhookEndpoint | None:
    """The merchant's default endpoint (its oldest enabled one in that mode): its secret signs
    deliveries to per-payment URLs from an object's metadata."""
    return (
        WebhookEndpoint.objects.filter(
            merchant_id=merchant_id,
            livemode=livemode,
            status=WebhookEndpoint.Status.ENABLED,
            deleted_at__isnull=True,
        )
        .order_by("id")
        .first()
    )


def endpoint_health(queryset: QuerySet[WebhookEndpoint]) -> QuerySet[WebhookEndpoint]:
    """Annotates delivery counts for the back office (success rate, failures)."""
    return queryset.annotate(
        deliveries_total=Count("deliveries", filter=~Q(deliveries__status=Delivery.Status.PENDING)),
        deliveries_succeeded=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SUCCEEDED)),
        deliveries_pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
    )


# --- figures for the back-office dashboard (apps.reporting) ----------------------------------


def delivery_outcome_totals(*, filters: dict, group_by: list[str]) -> list[dict]:
    """Finished deliveries (not pending) and failed ones: rows of *group_by, finished, failed."""
    qs = Delivery.objects.filter(**filters).order_by()
    totals = {
        "finished": Count("id", filter=~Q(status=Delivery.Status.PENDING)),
        "failed": Count("id", filter=Q(status=Delivery.Status.FAILED)),
    }
    if group_by:
        return list(qs.values(*group_by).annotate(**totals))
    return [qs.aggregate(**totals)]
