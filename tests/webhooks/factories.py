"""Webhook endpoints, outbox events and their fan-out, written through the services as the
apps do."""

from django.db import transaction

from apps.audit.services import Actor
from apps.webhooks import services
from apps.webhooks.models import Delivery, Event

ACTOR = Actor.system("tests")


def make_endpoint(merchant, url, events=("*",), livemode=False):
    return services.webhook_endpoint_create(
        merchant=merchant, livemode=livemode, url=url, enabled_events=list(events), actor=ACTOR
    )


def record(merchant, type_="payment_intent.succeeded", data=None, livemode=False) -> Event:
    with transaction.atomic():
        return services.event_record(
            merchant=merchant,
            livemode=livemode,
            type=type_,
            data=data or {"id": "pi_123", "object": "payment_intent", "amount": 2000, "currency": "usd"},
        )


def fan_out(event) -> list[Delivery]:
    return list(Delivery.objects.filter(pk__in=services.event_fan_out(event_id=event.pk)).order_by("id"))
