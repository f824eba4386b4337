"""The public shape of events, webhook endpoints and deliveries: one home for the API, the event
data and the delivered body."""

from apps.core.payloads import unix


def event_payload(event, *, pending_webhooks: int | None = None) -> dict:
    data = dict(event.data or {})
    if event.previous_attributes:
        data["previous_attributes"] = event.previous_attributes
    if pending_webhooks is None:
        pending_webhooks = getattr(event, "pending_webhooks", 0) or 0
    return {
        "id": event.public_id,
        "object": "event",
        "api_version": event.api_version,
        "created": unix(event.created_at),
        "data": data,
        "livemode": event.livemode,
        "pending_webhooks": pending_webhooks,
        "request": {"id": event.request_id or None, "idempotency_key": None},
        "type": event.type,
    }


def webhook_endpoint_payload(endpoint, *, secret: str | None = None) -> dict:
    body = {
        "id": endpoint.public_id,
        "object": "webhook_endpoint",
        "api_version": endpoint.api_version,
        "created": unix(endpoint.created_at),
        "description": endpoint.description or None,
        "enabled_events": list(endpoint.enabled_events or []),
        "livemode": endpoint.livemode,
        "metadata": endpoint.metadata or {},
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason or None,
        "url": endpoint.url,
    }
    if secret is not None:
        body["secret"] = secret
    return body


def webhook_delivery_payload(delivery) -> dict:
    return {
        "id": delivery.public_id,
        "object": "webhook_delivery",
        "event": delivery.event.public_id,
        "webhook_endpoint": delivery.endpoint.public_id if delivery.endpoint_id else None,
        "url": delivery.url,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "next_attempt": unix(delivery.next_attempt_at),
        "created": unix(delivery.created_at),
    }
