"""Concurrent sending (issue 21, item 3) in-process against real local receivers: requests overlap
up to the per-endpoint bound and never beyond, every delivery is received once, two senders never
claim the same delivery, a claim is a lease, and the SSRF guard pins the address it checked.

Nothing here measures time: overlap is observed by the receiver (how many requests it held at
once, `Receiver.gate`)."""

import json
import socket
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.webhooks import sender, services
from apps.webhooks.models import Delivery, DeliveryAttempt, Event
from apps.webhooks.ssrf import Destination
from tests.webhooks.factories import fan_out, make_endpoint, record
from tests.webhooks.helpers import real_broker, receiver_server


def event_ids(receiver) -> list[str]:
    return [json.loads(r.body)["id"] for r in receiver.requests]


def send_until_done(ids: list[int], *, rounds: int = 20) -> None:
    """What the sweeper and the workers do between them: send again until nothing is due."""
    for _ in range(rounds):
        if not Delivery.objects.filter(pk__in=ids, status="pending").exists():
            return
        services.deliveries_send(delivery_ids=ids, wait=True)
    raise AssertionError("deliveries still pending")


@pytest.mark.django_db
def test_deliveries_to_one_endpoint_overlap_up_to_its_bound_and_each_arrives_once(
    merchant, receiver, settings
):
    settings.WEBHOOKS_ENDPOINT_CONCURRENCY = 3
    receiver.gate = 3  # each request is held until 3 are in flight (or 10 s)
    make_endpoint(merchant, receiver.url)
    events = [record(merchant) for _ in range(8)]
    ids = [d.pk for e in events for d in fan_out(e)]

    outcomes = services.deliveries_send(delivery_ids=ids, wait=True)
    # In rounds of at most three (the bound), each claimed as slots came back.
    assert sorted(outcomes.values()) == ["succeeded"] * 8
    assert not Delivery.objects.filter(pk__in=ids, lease_until__isnull=False).exists()

    assert 1 < receiver.max_in_flight <= 3
    assert sorted(event_ids(receiver)) == sorted(e.public_id for e in events)
    assert Delivery.objects.filter(pk__in=ids, status="succeeded", attempt_count=1).count() == 8
    assert DeliveryAttempt.objects.filter(delivery_id__in=ids).count() == 8


@pytest.mark.django_db
def test_a_failing_delivery_in_a_concurrent_group_is_retried_on_schedule_the_others_succeed(
    merchant, receiver
):
    receiver.gate = 2
    receiver.script.extend([500])
    make_endpoint(merchant, receiver.url)
    ids = [d.pk for e in [record(merchant) for _ in range(4)] for d in fan_out(e)]
    outcomes = services.deliveries_send(delivery_ids=ids, wait=True)
    assert sorted(outcomes.values()) == ["retrying", "succeeded", "succeeded", "succeeded"]
    [failed] = Delivery.objects.filter(pk__in=ids, status="pending")
    assert failed.last_response_status == 500 and failed.schedule_attempt == 1 and failed.lease_until is None
    gap = (failed.next_attempt_at - failed.last_attempt_at).total_seconds()
    assert 5 * 0.9 <= gap <= 5 * 1.1 + 1.0
    assert receiver.max_in_flight >= 2


@pytest.mark.django_db(transaction=True)
def test_a_slow_endpoint_holds_only_its_own_slots(merchant, settings):
    """Endpoint A hangs; B answers. A gets at most its bound in flight, and B's deliveries go
    out while A's requests are still held."""
    settings.WEBHOOKS_ENDPOINT_CONCURRENCY = 2
    with receiver_server() as slow, receiver_server() as fast:
        slow.default = "hang"
        make_endpoint(merchant, slow.url)
        make_endpoint(merchant, fast.url)
        with real_broker():  # the fan-out publishes to a queue nobody consumes; we send by hand
            ids = [d.pk for e in [record(merchant) for _ in range(4)] for d in fan_out(e)]
        results = {}
        thread = threading.Thread(target=lambda: results.update(services.deliveries_send(delivery_ids=ids)))
        thread.start()
        fast.wait_for(2)  # the fast endpoint's bound is 2 as well
        slow.wait_for(2)
        assert slow.in_flight == 2  # still held
        slow.release()
        thread.join(timeout=60)
        send_until_done(ids)
        assert slow.max_in_flight == 2 and fast.max_in_flight <= 2
        assert len(fast.requests) == 4 and len(slow.requests) == 4


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_never_claim_the_same_delivery(merchant, receiver):
    make_endpoint(merchant, receiver.url)
    with real_broker():  # the fan-out publishes to a queue nobody consumes; we send by hand
        events = [record(merchant) for _ in range(12)]
        ids = [d.pk for e in events for d in fan_out(e)]
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        services.deliveries_send(delivery_ids=ids, wait=True)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    send_until_done(ids)
    assert sorted(event_ids(receiver)) == sorted(e.public_id for e in events)
    assert DeliveryAttempt.objects.filter(delivery_id__in=ids).count() == 12


@pytest.mark.django_db
def test_a_live_lease_keeps_other_senders_off_until_it_expires(merchant, receiver):
    make_endpoint(merchant, receiver.url)
    [d] = fan_out(record(merchant))
    lease = timezone.now() + timedelta(seconds=30)
    # A claim whose worker was killed; not published recently, so only the lease keeps it out.
    Delivery.objects.filter(pk=d.pk).update(lease_until=lease, enqueued_at=None)
    assert services.delivery_send(delivery_id=d.pk) == "skipped"
    assert services.deliveries_sweep() == 0
    assert services.delivery_send(delivery_id=d.pk, now=lease + timedelta(seconds=1)) == "succeeded"
    assert event_ids(receiver) == [d.event.public_id]


@pytest.mark.django_db
def test_an_outcome_is_not_recorded_over_a_redrive_made_while_sending(merchant, receiver, monkeypatch):
    """A re-drive during the send clears the lease: the late outcome is dropped, the re-driven
    schedule stands."""
    make_endpoint(merchant, receiver.url)
    [d] = fan_out(record(merchant))
    real_submit = sender.Sender.submit

    def submit_then_redrive(self, request, done=None):
        Delivery.objects.filter(pk=d.pk).update(lease_until=None, schedule_attempt=0)
        return real_submit(self, request, done)

    monkeypatch.setattr(sender.Sender, "submit", submit_then_redrive)
    assert services.delivery_send(delivery_id=d.pk) == "skipped"
    d.refresh_from_db()
    assert (d.status, d.attempt_count) == ("pending", 0)
    assert len(receiver.requests) == 1


# --- the SSRF guard pins the address it checked -------------------------------------------------


@pytest.fixture
def rebinding_dns(monkeypatch):
    """`rebind.example` answers a public address to its first lookup once armed, then 127.0.0.1
    (a DNS-rebinding attacker's name); lookups of it are counted."""
    from apps.webhooks import ssrf

    state = {"armed": False, "lookups": 0}
    fake = ssrf.socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.example":
            state["lookups"] += 1
            public = not state["armed"] or state["lookups"] == 1
            address = "93.184.215.14" if public else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        if host == "pinned.example":
            raise socket.gaierror("pinned.example must never be looked up")
        return fake(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    return state


@pytest.mark.django_db
def test_a_name_rebound_to_localhost_after_the_check_cannot_reach_it(
    merchant, receiver, settings, rebinding_dns
):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE = False
    settings.WEBHOOKS_DELIVERY_TIMEOUT_SECONDS = 1
    port = receiver.url.split(":")[2].split("/")[0]
    make_endpoint(merchant, f"http://rebind.example:{port}/hooks")  # checked when saved: public
    [d] = fan_out(record(merchant))
    rebinding_dns.update(armed=True, lookups=0)

    assert services.delivery_send(delivery_id=d.pk) == "retrying"
    # One lookup — the check's — and the connection went to the address it checked (nothing
    # listens there: this machine has no route out), never to 127.0.0.1 where the receiver is.
    assert rebinding_dns["lookups"] == 1
    assert receiver.requests == []
    attempt = DeliveryAttempt.objects.get(delivery=d)
    assert attempt.response_status is None and attempt.error
    assert not attempt.error.startswith("url_not_allowed")
    # Looked up again at the next attempt, the name now answers 127.0.0.1: refused, not sent.
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
    services.delivery_send(delivery_id=d.pk)
    assert (
        DeliveryAttempt.objects.filter(delivery=d)
        .order_by("number")
        .last()
        .error.startswith("url_not_allowed")
    )
    assert receiver.requests == []


def test_a_pinned_request_connects_to_the_ip_and_names_the_host(receiver, rebinding_dns):
    port = int(receiver.url.split(":")[2].split("/")[0])
    url = f"http://pinned.example:{port}/hooks/x?y=1"
    request = sender.OutboundRequest(
        url=url,
        destination=Destination(scheme="http", host="pinned.example", port=port, ip="127.0.0.1"),
        body=b'{"id":"evt_pinned"}',
        headers={"Content-Type": "application/json"},
        slot_key="test:pinned",
        timeout=5,
    )
    out = sender.get()
    assert out.reserve(["test:pinned"]) == [True]
    result = out.submit(request).result(timeout=30)
    assert result.status == 200, result
    [got] = receiver.requests
    assert got.headers["Host"] == f"pinned.example:{port}"
    assert got.path == "/hooks/x?y=1"
    assert out.reserve(["test:pinned"]) == [True]  # the slot came back with the answer
    out.release("test:pinned")


def test_destination_keeps_path_and_brackets_ipv6():
    d = Destination(scheme="https", host="hooks.example.com", port=443, ip="2001:db8::1")
    assert d.pinned_url("https://hooks.example.com/a/b?c=d") == "https://[2001:db8::1]:443/a/b?c=d"
    assert d.host_header == "hooks.example.com"
    assert (
        Destination(scheme="http", host="h.example", port=8080, ip="192.0.2.1").host_header
        == "h.example:8080"
    )


@pytest.mark.django_db
def test_rows_without_a_lease_are_claimable(merchant, receiver):
    """Rows fanned out before the lease column existed (null lease) are claimable as before."""
    make_endpoint(merchant, receiver.url)
    event = Event.objects.create(
        merchant=merchant, type="charge.succeeded", api_version="x", data={"object": {}}
    )
    [d] = fan_out(event)
    assert d.lease_until is None
    assert services.delivery_send(delivery_id=d.pk) == "succeeded"
