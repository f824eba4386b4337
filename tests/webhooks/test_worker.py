"""End to end with a real Celery worker subprocess, a real Redis broker (db 5, a queue of this
run's own; a private redis-server for the outage test) and a real local HTTP receiver.

Time is controlled by making a delivery due (next_attempt_at = now) and running the sweeper, as
the beat would; nothing here asserts how long anything took."""

import json
import os
import signal
from datetime import timedelta

import pytest
import time_machine
from django.core.signals import request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone

from apps.webhooks import retry, services, tasks
from apps.webhooks.models import Delivery, DeliveryAttempt, Event
from apps.webhooks.services import publishing
from tests.intents.helpers import make_card, pay
from tests.webhooks.factories import make_endpoint
from tests.webhooks.helpers import (
    private_redis,
    real_broker,
    start_worker,
    verify_webhook_signature,
    wait_until,
    worker_running,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


def record(merchant, type_="payment_intent.succeeded") -> Event:
    with transaction.atomic():
        return services.event_record(
            merchant=merchant, livemode=False, type=type_, data={"id": "pi_w", "object": "payment_intent"}
        )


def delivery_state(event, **filters):
    return Delivery.objects.filter(event=event, **filters).first()


def make_due_and_sweep(delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.deliveries_sweep() == 1


def test_a_payment_through_the_api_is_delivered_signed(api, merchant, receiver, tmp_path):
    with real_broker() as queue, worker_running(queue=queue, tmp_path=tmp_path):
        created = api.post(
            "/v1/webhook_endpoints",
            {"url": receiver.url, "enabled_events": ["payment_intent.*"]},
            format="json",
        ).json()
        body = pay(api, make_card(merchant)).json()
        assert body["status"] == "succeeded", body
        expected = set(
            Event.objects.filter(type__startswith="payment_intent.").values_list("public_id", flat=True)
        )
        assert len(expected) >= 2
        got = receiver.wait_for(len(expected))
        wait_until(
            lambda: Delivery.objects.filter(status="succeeded").count() == len(expected), message="deliveries"
        )
    assert {json.loads(r.body)["id"] for r in got} == expected
    for request in got:
        signature = {k.lower(): v for k, v in request.headers.items()}["payments-signature"]
        assert verify_webhook_signature(request.body.decode(), signature, created["secret"])
    succeeded = [json.loads(r.body) for r in got if json.loads(r.body)["type"] == "payment_intent.succeeded"]
    assert succeeded[0]["data"]["object"]["id"] == body["id"]


def test_retries_on_500_and_on_a_timeout_follow_the_schedule(merchant, receiver, tmp_path):
    receiver.script.extend([500, "hang"])
    with (
        real_broker() as queue,
        worker_running(queue=queue, tmp_path=tmp_path, extra_env={"WEBHOOKS_DELIVERY_TIMEOUT_SECONDS": "2"}),
    ):
        make_endpoint(merchant, receiver.url)
        event = record(merchant)
        first = wait_until(lambda: delivery_state(event, attempt_count=1), message="first attempt")
        # The delay counts from the end of the attempt: its HTTP round trip comes on top.
        gap = (first.next_attempt_at - first.last_attempt_at).total_seconds()
        assert retry.base_delay(1) * 0.9 <= gap <= retry.base_delay(1) * 1.1 + 1.0
        assert first.last_response_status == 500 and first.status == "pending"

        make_due_and_sweep(first)
        second = wait_until(lambda: delivery_state(event, attempt_count=2), message="second attempt")
        receiver.release()
        gap = (second.next_attempt_at - second.last_attempt_at).total_seconds()  # + the 2 s timeout
        assert retry.base_delay(2) * 0.9 + 2 <= gap <= retry.base_delay(2) * 1.1 + 3.0
        assert second.last_error == "timeout" and second.status == "pending"

        make_due_and_sweep(second)
        third = wait_until(lambda: delivery_state(event, status="succeeded"), message="success")
    assert third.attempt_count == 3
    outcomes = list(
        DeliveryAttempt.objects.filter(delivery=third)
        .order_by("number")
        .values_list("response_status", "error")
    )
    assert outcomes == [(500, ""), (None, "timeout"), (200, "")]
    assert [json.loads(r.body)["id"] for r in receiver.requests] == [event.public_id] * 3


def test_410_disables_the_endpoint(merchant, receiver, tmp_path):
    receiver.default = 410
    with real_broker() as queue, worker_running(queue=queue, tmp_path=tmp_path):
        endpoint, _ = make_endpoint(merchant, receiver.url, ["payment_intent.*"])
        event = record(merchant)
        wait_until(lambda: delivery_state(event, status="failed"), message="failed delivery")
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "gone")
    assert Event.objects.filter(type="webhook_endpoint.disabled").count() == 1
    assert len(receiver.requests) == 1


# A claim is a lease of the delivery timeout plus a margin: short ones here, so that waiting for a
# killed worker's claims to expire stays short.
SHORT_LEASE = {"WEBHOOKS_DELIVERY_TIMEOUT_SECONDS": "2", "WEBHOOKS_LEASE_MARGIN_SECONDS": "3"}


def sweep_after_the_leases_expire(deliveries) -> int:
    """What the beat does once a dead worker's claims have expired: publish them again. Before
    the expiry the sweeper leaves them alone (checked on the test's clock, a second before)."""
    leases = [d.lease_until for d in deliveries]
    assert all(leases), "the killed worker's claims hold a lease"
    with time_machine.travel(min(leases) - timedelta(seconds=1), tick=False):
        assert services.deliveries_sweep() == 0
    wait_until(lambda: timezone.now() > max(leases), message="the leases to expire")
    with override_settings(WEBHOOKS_REENQUEUE_AFTER_SECONDS=0):
        return services.deliveries_sweep()


def test_killing_the_worker_mid_delivery_loses_nothing(merchant, receiver, tmp_path):
    """SIGKILL the whole worker while the receiver holds the request: the claim (a lease) stays
    with no outcome; once it expires the sweeper publishes it and a new worker delivers the
    event again, same event id."""
    receiver.script.append("hang")
    with real_broker() as queue:
        worker = start_worker(queue=queue, tmp_path=tmp_path, extra_env=SHORT_LEASE)
        try:
            make_endpoint(merchant, receiver.url)
            event = record(merchant)
            receiver.wait_for(1)
            worker.kill()
        finally:
            worker.stop()
        receiver.release()
        delivery = Delivery.objects.get(event=event)
        assert (delivery.status, delivery.attempt_count) == ("pending", 0)

        with worker_running(queue=queue, tmp_path=tmp_path):
            assert sweep_after_the_leases_expire([delivery]) == 1
            receiver.wait_for(2)
            delivered = wait_until(lambda: delivery_state(event, status="succeeded"), message="redelivery")
    assert delivered.attempt_count == 1 and delivered.lease_until is None
    assert [json.loads(r.body)["id"] for r in receiver.requests] == [event.public_id] * 2
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.public_id] * 2


def test_killing_the_pool_process_mid_batch_loses_nothing(merchant, receiver, tmp_path):
    """Several deliveries in flight in one prefork pool process (its async sender) when it is
    SIGKILLed: none is recorded, none is lost — after their leases expire each is sent again."""
    receiver.default = "hang"
    with (
        real_broker() as queue,
        worker_running(queue=queue, tmp_path=tmp_path, pool="prefork", extra_env=SHORT_LEASE) as worker,
    ):
        make_endpoint(merchant, receiver.url)
        events = [record(merchant) for _ in range(3)]
        receiver.wait_for(3)
        assert receiver.max_in_flight == 3  # in flight together, from one pool process
        children = worker.child_pids()
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        receiver.default = 200
        receiver.release()
        deliveries = list(Delivery.objects.filter(event__in=events))
        assert [(d.status, d.attempt_count) for d in deliveries] == [("pending", 0)] * 3
        assert sweep_after_the_leases_expire(deliveries) == 3
        receiver.wait_for(6, timeout=90)
        wait_until(
            lambda: Delivery.objects.filter(event__in=events, status="succeeded").count() == 3,
            message="redelivery",
        )
    assert sorted(json.loads(r.body)["id"] for r in receiver.requests) == sorted(
        [e.public_id for e in events] * 2
    )
    assert set(Delivery.objects.filter(event__in=events).values_list("attempt_count", flat=True)) == {1}


def test_a_broker_outage_loses_no_event(api, merchant, receiver, tmp_path):
    """Redis stops; payments through the API still succeed (their events wait in the outbox);
    Redis comes back; the outbox sweeper (what the beat runs) gets every event delivered."""
    with (
        private_redis() as redis_server,
        real_broker(redis_server.url) as queue,
        worker_running(
            queue=queue,
            broker_url=redis_server.url,
            tmp_path=tmp_path,
            extra_env={"WEBHOOKS_OUTBOX_GRACE_SECONDS": "0"},
        ),
    ):
        api.post(
            "/v1/webhook_endpoints",
            {"url": receiver.url, "enabled_events": ["payment_intent.*", "charge.*"]},
            format="json",
        )
        cards = [make_card(merchant) for _ in range(3)]
        redis_server.stop()
        bodies = [pay(api, card).json() for card in cards]
        assert [b["status"] for b in bodies] == ["succeeded"] * 3
        waiting = Event.objects.filter(type__regex=r"^(payment_intent|charge)\.")
        assert waiting.count() >= 6
        assert not waiting.filter(enqueued_at__isnull=False).exists()
        expected = set(waiting.values_list("public_id", flat=True))

        redis_server.start_again()

        def swept_and_delivered():
            publishing.task_publish(tasks.events_outbox_sweep_task)
            return Delivery.objects.filter(status="succeeded").count() >= len(expected)

        wait_until(swept_and_delivered, timeout=120, interval=1.0, message="every event delivered")
    received = {json.loads(r.body)["id"] for r in receiver.requests}
    assert received == expected
    assert not Event.objects.filter(enqueued_at__isnull=True).exists()
