"""The delivery worker's set-based writes (issue 21, item 3): a batch of events fanned out in one
transaction of a constant number of statements, with the same rows as one event at a time; a
group of outcomes recorded in one UPDATE guarded by each row's lease, with the same rows as the
per-row ORM path (SQLite's)."""

import random
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.webhooks import sender, services, sql
from apps.webhooks.models import Delivery, DeliveryAttempt, Event
from apps.webhooks.services import sending
from tests.webhooks.factories import make_endpoint, record

HOOK = {"id": "pi_1", "object": "payment_intent", "metadata": {"webhook_url": "https://merchant.example/cb"}}


def deliveries_of(events) -> list[tuple]:
    return sorted(
        Delivery.objects.filter(event__in=events).values_list(
            "event__type", "event__merchant_id", "endpoint_id", "url", "status", "livemode"
        ),
        key=repr,
    )


@pytest.mark.django_db
def test_a_batch_fan_out_writes_each_events_matching_deliveries_once(merchant, other_merchant):
    a, _ = make_endpoint(merchant, "https://example.com/a", ["payment_intent.*"])
    b, _ = make_endpoint(merchant, "https://example.com/b", ["refund.created"])
    live, _ = make_endpoint(merchant, "https://example.com/live", ["*"], livemode=True)
    other, _ = make_endpoint(other_merchant, "https://example.com/other", ["*"])
    events = [
        record(merchant, "payment_intent.created"),
        record(merchant, "refund.created"),
        record(merchant, "payment_intent.succeeded", data=HOOK),  # + the per-payment URL
        record(merchant, "payout.paid"),  # no endpoint wants it
        record(merchant, "refund.created", livemode=True),
        record(other_merchant, "charge.refunded"),
    ]
    # (In a test transaction nothing is fanned out on commit: the batch is fanned out here.)
    ids = services.events_fan_out(event_ids=[e.pk for e in events])

    m, o = merchant.pk, other_merchant.pk
    assert deliveries_of(events) == sorted(
        [
            ("payment_intent.created", m, a.pk, a.url, "pending", False),
            ("refund.created", m, b.pk, b.url, "pending", False),
            ("payment_intent.succeeded", m, a.pk, a.url, "pending", False),
            ("payment_intent.succeeded", m, None, "https://merchant.example/cb", "pending", False),
            ("refund.created", m, live.pk, live.url, "pending", True),
            ("charge.refunded", o, other.pk, other.url, "pending", False),
        ],
        key=repr,
    )
    assert sorted(ids) == sorted(Delivery.objects.filter(event__in=events).values_list("pk", flat=True))
    assert Event.objects.filter(pk__in=[e.pk for e in events], fanned_out_at__isnull=True).count() == 0
    assert services.events_fan_out(event_ids=[e.pk for e in events]) == []  # idempotent
    assert Delivery.objects.filter(event__in=events).count() == 6


@pytest.mark.django_db
def test_a_batch_fan_out_costs_the_same_statements_for_two_events_or_forty(merchant, other_merchant):
    make_endpoint(merchant, "https://example.com/a")
    make_endpoint(other_merchant, "https://example.com/b")
    events = [record(merchant if i % 2 else other_merchant) for i in range(42)]
    counts = []
    for batch in (events[:2], events[2:]):
        with CaptureQueriesContext(connection) as queries:
            services.events_fan_out(event_ids=[e.pk for e in batch])
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Delivery.objects.count() == 42


def _claimed_group(merchant, url, *, at) -> list[sending._Job]:
    """Three claimed deliveries and four finished sends: a success, a 500, a send whose lease
    was lost (re-driven meanwhile), and an older send of the first row under a stale lease."""
    events = [record(merchant) for _ in range(3)]
    rows = Delivery.objects.filter(pk__in=services.events_fan_out(event_ids=[e.pk for e in events]))
    lease = timezone.now() + timedelta(seconds=30)
    Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(lease_until=lease)
    deliveries = list(
        Delivery.objects.select_related("event", "endpoint").filter(pk__in=[d.pk for d in rows])
    )
    deliveries.sort(key=lambda d: d.pk)
    Delivery.objects.filter(pk=deliveries[2].pk).update(lease_until=None)  # re-driven while sending

    def job(d, status, lease_):
        return sending._Job(
            delivery=Delivery.objects.select_related("event", "endpoint").get(pk=d.pk),
            url=url,
            body=b'{"id":"evt"}',
            headers={"Content-Type": "application/json", "Webhook-Id": "evt"},
            lease=lease_,
            attempted_at=at,
            result=sender.HttpResult(status, "ok", 3),
        )

    return [
        job(deliveries[0], 200, lease - timedelta(seconds=60)),  # stale: an earlier claim's send
        job(deliveries[0], 200, lease),
        job(deliveries[1], 500, lease),
        job(deliveries[2], 200, lease),
    ]


RECORDED = ["status", "attempt_count", "schedule_attempt", "next_attempt_at", "enqueued_at", "lease_until"]
RECORDED += ["last_attempt_at", "last_response_status", "last_error", "succeeded_at"]
ATTEMPT = ["number", "attempted_at", "url", "outcome", "response_status", "latency_ms", "error"]
ATTEMPT += ["request_headers", "request_body_excerpt", "response_body_excerpt"]


def _state(jobs) -> tuple:
    pks = list(dict.fromkeys(j.delivery.pk for j in jobs))
    rows = {d["id"]: d for d in Delivery.objects.filter(pk__in=pks).values("id", *RECORDED)}
    attempts = [
        list(DeliveryAttempt.objects.filter(delivery_id=pk).order_by("number").values_list(*ATTEMPT))
        for pk in pks
    ]
    return [{k: rows[pk][k] for k in RECORDED} for pk in pks], attempts


@pytest.mark.django_db
def test_set_based_and_per_row_recording_leave_the_same_rows(merchant, monkeypatch):
    url = "https://example.com/a"
    make_endpoint(merchant, url)
    now = timezone.now()
    assert sql.set_based_enabled()  # the tests run on PostgreSQL

    with time_machine.travel(now, tick=False):  # the same clock and retry jitter for both
        set_based = _claimed_group(merchant, url, at=now)
        random.seed(21)
        outcomes_sql = sending._record(set_based, now=now)
        monkeypatch.setattr(sql, "set_based_enabled", lambda: False)
        per_row = _claimed_group(merchant, url, at=now)
        random.seed(21)
        outcomes_orm = sending._record(per_row, now=now)

    assert list(outcomes_sql.values()) == list(outcomes_orm.values()) == ["succeeded", "retrying", "skipped"]
    assert _state(set_based) == _state(per_row)
    rows, attempts = _state(set_based)
    assert [r["status"] for r in rows] == ["succeeded", "pending", "pending"]
    assert [len(a) for a in attempts] == [1, 1, 0]  # the stale send and the lost lease: no attempt
    assert rows[2]["lease_until"] is None and rows[2]["attempt_count"] == 0
