"""Webhook endpoints, a delivered event verified by stripe.Webhook.construct_event, and events."""

import time

import pytest
import stripe

from .conftest import body_of

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(receiver, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_endpoint_secret_once_and_a_delivery_verified_as_stripe_does(sdk, receiver):
    endpoint = sdk.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["customer.created", "payment_intent.*"]}
    )
    assert isinstance(endpoint, stripe.WebhookEndpoint)
    secret = endpoint.secret
    assert secret.startswith("whsec_")
    assert endpoint.last_response.code == 200
    assert getattr(sdk.v1.webhook_endpoints.retrieve(endpoint.id), "secret", None) is None

    customer = sdk.v1.customers.create(params={"email": "hook@example.com"})
    _wait_for(receiver, 1)
    headers, payload = receiver.received[0]
    event = stripe.Webhook.construct_event(payload.decode(), headers["Stripe-Signature"], secret)
    assert isinstance(event, stripe.Event)
    assert event.type == "customer.created"
    assert event.data.object.id == customer.id
    assert isinstance(event.data.object, stripe.Customer)
    for field in ("api_version", "livemode", "pending_webhooks", "request", "created"):
        assert field in body_of(receiver.received[0])
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.decode(), headers["Stripe-Signature"], "whsec_wrong")

    listed = sdk.v1.webhook_endpoints.list()
    assert [e.id for e in listed.data] == [endpoint.id]
    deleted = sdk.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True


def test_an_unknown_event_type_is_refused_by_name(sdk, receiver):
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["payment.succeded"]})
    assert err.value.param == "enabled_events[0]"
    assert "payment.succeded" in err.value.user_message


def test_events_list_by_type_and_types(sdk):
    customer = sdk.v1.customers.create(params={"email": "ev@example.com"})
    sdk.v1.customers.update(customer.id, params={"name": "Ev"})
    sdk.v1.payment_intents.create(params={"amount": 700, "currency": "usd"})

    created = sdk.v1.events.list(params={"type": "customer.created"})
    assert [e.type for e in created.data] == ["customer.created"]
    both = sdk.v1.events.list(params={"types": ["customer.created", "customer.updated"]})
    assert sorted(e.type for e in both.data) == ["customer.created", "customer.updated"]
    updated = both.data[0] if both.data[0].type == "customer.updated" else both.data[1]
    assert updated.data.previous_attributes.name is None
    everything = list(sdk.v1.events.list(params={"limit": 1}).auto_paging_iter())
    assert {"customer.created", "customer.updated", "payment_intent.created"} <= {e.type for e in everything}
    one = sdk.v1.events.retrieve(created.data[0].id)
    assert one.data.object.id == customer.id
