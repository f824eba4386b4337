"""The payment workbench's webhook-event source: the events about the payment, its charges and its
refunds (found by the indexed `Event.object_id`), each with how its delivery went per endpoint; the
backfill that sets `object_id` on events written before the column existed."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.backoffice.timeline import payment_timeline
from apps.intents.models import PaymentIntent
from apps.webhooks import services as webhook_services
from apps.webhooks.models import Event
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay
from tests.webhooks.factories import fan_out, make_endpoint, record
from tests.webhooks.helpers import receiver_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with receiver_server() as r:
        yield r


def _events_of(intent):
    return [e for e in payment_timeline(intent) if e.kind == "webhook"]


def test_events_carry_their_object_id(merchant):
    assert record(merchant, data={"id": "pi_abc", "object": "payment_intent"}).object_id == "pi_abc"
    assert record(merchant, data={"object": "balance"}).object_id == ""


def test_the_workbench_lists_the_payments_events_with_each_endpoints_delivery(
    client, api, merchant, receiver
):
    endpoint, _ = make_endpoint(merchant, receiver.url)
    body = pay(api, make_card(merchant)).json()
    api.post("/v1/refunds", {"payment_intent": body["id"], "amount": 500}, format="json")
    other = pay(api, make_card(merchant)).json()  # another payment's events stay off this page
    intent = PaymentIntent.objects.get(public_id=body["id"])

    events = Event.objects.filter(object_id=intent.public_id).order_by("id")
    assert events.exists()
    failing = events.first()
    receiver.script.append(500)
    [delivery] = fan_out(failing)
    webhook_services.delivery_send(delivery_id=delivery.pk)
    refund_event = Event.objects.filter(type="refund.created", merchant=merchant).get()
    [ok] = fan_out(refund_event)
    webhook_services.delivery_send(delivery_id=ok.pk)

    entries = {e.title: e for e in _events_of(intent)}
    failing_entry = entries[f"Event {failing.type} ({failing.public_id})"]
    assert failing_entry.tone == "warning"  # retrying after the 500
    assert endpoint.public_id in failing_entry.detail and "last HTTP 500" in failing_entry.detail
    refund_entry = entries[f"Event refund.created ({refund_event.public_id})"]
    assert (
        refund_entry.tone == "success" and "delivered after 1 attempt, last HTTP 200" in refund_entry.detail
    )
    charge_events = Event.objects.filter(object_id=body["latest_charge"])
    assert charge_events.exists()
    assert all(f"Event {e.type} ({e.public_id})" in entries for e in charge_events)  # the charge's too
    assert not any(other["id"] in t for t in entries)
    assert all(e.url.startswith("/admin/webhooks/event/") for e in entries.values())

    client.force_login(staff_user("support", "sue"))
    page = client.get(reverse("admin:intents_paymentintent_change", args=[intent.pk])).content.decode()
    assert 'data-kind="webhook"' in page and failing.public_id in page and "last HTTP 500" in page


def test_the_webhook_source_costs_the_same_queries_for_one_event_or_many(client, api, merchant, receiver):
    make_endpoint(merchant, receiver.url)
    intent = PaymentIntent.objects.get(public_id=pay(api, make_card(merchant)).json()["id"])
    url = reverse("admin:intents_paymentintent_change", args=[intent.pk])
    client.force_login(staff_user("support", "sue"))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(6):
        for delivery in fan_out(
            record(merchant, "payment_intent.succeeded", {"id": intent.public_id, "n": n})
        ):
            webhook_services.delivery_send(delivery_id=delivery.pk)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(_events_of(intent)) >= 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_migration_backfills_object_id_from_the_payload(merchant):
    keep = record(merchant, data={"id": "ch_backfill", "object": "charge"})
    nothing = record(merchant, data={"object": "balance"})
    odd = record(merchant, data={"id": 42, "object": "weird"})
    Event.objects.filter(pk__in=[keep.pk, nothing.pk, odd.pk]).update(object_id="")
    migration = importlib.import_module("apps.webhooks.migrations.0006_event_object_id")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.backfill(django_apps, editor)
    got = dict(Event.objects.filter(pk__in=[keep.pk, nothing.pk, odd.pk]).values_list("pk", "object_id"))
    assert got == {keep.pk: "ch_backfill", nothing.pk: "", odd.pk: ""}
