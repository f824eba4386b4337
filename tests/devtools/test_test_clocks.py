"""Test clocks: Stripe's shape, and advancing one fires what would have happened in that time for
the objects made under it — through the owners' own deadline code (apps.core.clock)."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.devtools.models import TestClock
from apps.disputes.models import Dispute
from apps.intents.models import PaymentIntent
from apps.intents.services import payment_intents_expire_authorizations
from apps.ledger.models import BalanceTransaction
from apps.payouts.models import Payout
from apps.reconciliation.models import ReconciliationRun, SettlementFile
from apps.webhooks.models import Delivery, Event
from tests.intents.helpers import create_intent, make_card, pay
from tests.ledger.factories import fund
from tests.payouts.factories import us_bank
from tests.webhooks.factories import make_endpoint
from tests.webhooks.helpers import receiver_server

pytestmark = pytest.mark.django_db

START = int(dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC).timestamp())
DAY = 86_400


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the request's on-commit work (the advance job, in-process: Celery is eager here)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def clock(api, committed):
    body = committed(
        api.post, "/v1/test_helpers/test_clocks", {"frozen_time": START, "name": "month"}, format="json"
    )
    assert body.status_code == 200, body.json()
    return body.json()


def advance(api, committed, clock_id, to):
    resp = committed(
        api.post, f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": to}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "advancing"  # the answer is given before the job runs
    after = api.get(f"/v1/test_helpers/test_clocks/{clock_id}").json()
    assert (after["status"], after["frozen_time"]) == ("ready", to), after
    return after


def test_stripe_shape_create_retrieve_list_advance_delete(api, committed, clock):
    assert clock["id"].startswith("clock_")
    assert (clock["object"], clock["frozen_time"], clock["status"], clock["name"]) == (
        "test_helpers.test_clock", START, "ready", "month",
    )  # fmt: skip
    assert clock["deletes_after"] - clock["created"] == 30 * DAY and clock["livemode"] is False
    assert api.get(f"/v1/test_helpers/test_clocks/{clock['id']}").json() == clock
    assert [c["id"] for c in api.get("/v1/test_helpers/test_clocks").json()["data"]] == [clock["id"]]
    second = api.post("/v1/test_helpers/test_clocks", {"frozen_time": START}, format="json")
    assert second.status_code == 400 and second.json()["error"]["code"] == "test_clock_exists"
    back = api.post(
        f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": START}, format="json"
    )
    assert back.status_code == 400 and back.json()["error"]["param"] == "frozen_time"

    advance(api, committed, clock["id"], START + DAY)
    types = list(
        Event.objects.filter(type__startswith="test_helpers.").order_by("id").values_list("type", flat=True)
    )
    assert types == [
        "test_helpers.test_clock.created",
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready",
    ]
    advancing = Event.objects.get(type="test_helpers.test_clock.advancing").data["object"]
    assert advancing["status_details"] == {"advancing": {"target_frozen_time": START + DAY}}

    gone = api.delete(f"/v1/test_helpers/test_clocks/{clock['id']}")
    assert gone.json() == {"id": clock["id"], "object": "test_helpers.test_clock", "deleted": True}
    assert api.get(f"/v1/test_helpers/test_clocks/{clock['id']}").status_code == 404
    assert api.post("/v1/test_helpers/test_clocks", {"frozen_time": START}, format="json").status_code == 200


def test_a_clock_is_deleted_after_deletes_after_and_its_objects_return_to_the_wall_clock(
    api, merchant, clock
):
    from apps.devtools.services.clocks import test_clocks_expire

    intent = create_intent(
        api, payment_method=make_card(merchant).public_id, confirm=True, capture_method="manual"
    ).json()
    assert payment_intents_expire_authorizations(now=timezone.now() + dt.timedelta(days=8)) == 0
    assert test_clocks_expire() == 0
    assert test_clocks_expire(now=timezone.now() + dt.timedelta(days=31)) == 1
    assert api.get(f"/v1/test_helpers/test_clocks/{clock['id']}").status_code == 404
    assert Event.objects.filter(type="test_helpers.test_clock.deleted").count() == 1
    assert payment_intents_expire_authorizations(now=timezone.now() + dt.timedelta(days=8)) == 1
    assert PaymentIntent.objects.get(public_id=intent["id"]).status == "canceled"


def test_a_clock_advancing_is_not_advanced_again(api, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the job has not run yet
        api.post(
            f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": START + DAY}, format="json"
        )
    again = api.post(
        f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": START + 2 * DAY}, format="json"
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "test_clock_not_ready"


def test_another_merchants_clock_is_not_found(api_other, clock):
    assert api_other.get(f"/v1/test_helpers/test_clocks/{clock['id']}").status_code == 404
    resp = api_other.post(
        f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": START + DAY}, format="json"
    )
    assert resp.status_code == 404
    assert api_other.get("/v1/test_helpers/test_clocks").json()["data"] == []


def test_authorization_expires_on_the_clocks_time_only(api, merchant, committed, clock):
    intent = create_intent(
        api, payment_method=make_card(merchant).public_id, confirm=True, capture_method="manual"
    ).json()
    assert intent["status"] == "requires_capture", intent
    # The beat task, even a week and a day from now on the wall clock, leaves it to the clock.
    assert payment_intents_expire_authorizations(now=timezone.now() + dt.timedelta(days=8)) == 0
    advance(api, committed, clock["id"], START + 6 * DAY)
    assert api.get(f"/v1/payment_intents/{intent['id']}").json()["status"] == "requires_capture"
    advance(api, committed, clock["id"], START + 7 * DAY + 3600)
    after = api.get(f"/v1/payment_intents/{intent['id']}").json()
    assert (after["status"], after["cancellation_reason"]) == ("canceled", "automatic")
    assert Event.objects.filter(type="charge.expired").count() == 1
    assert (
        TestClock.objects.get(public_id=clock["id"]).last_advance["done"]["intents.authorization_expiry"] == 1
    )


def test_an_object_made_after_an_advance_is_not_aged_by_it(api, merchant, committed, clock):
    advance(api, committed, clock["id"], START + 5 * DAY)
    intent = create_intent(
        api, payment_method=make_card(merchant).public_id, confirm=True, capture_method="manual"
    ).json()
    advance(api, committed, clock["id"], START + 8 * DAY)  # 3 days of its 7
    assert PaymentIntent.objects.get(public_id=intent["id"]).status == "requires_capture"
    advance(api, committed, clock["id"], START + 12 * DAY + 3600)  # 7 days and an hour
    assert PaymentIntent.objects.get(public_id=intent["id"]).status == "canceled"


def test_objects_before_the_clock_keep_the_wall_clock(api, merchant, committed):
    before = create_intent(
        api, payment_method=make_card(merchant).public_id, confirm=True, capture_method="manual"
    ).json()
    clock = api.post("/v1/test_helpers/test_clocks", {"frozen_time": START}, format="json").json()
    advance(api, committed, clock["id"], START + 10 * DAY)
    assert PaymentIntent.objects.get(public_id=before["id"]).status == "requires_capture"
    assert payment_intents_expire_authorizations(now=timezone.now() + dt.timedelta(days=8)) == 1


def test_dispute_reminders_then_the_loss_at_due_by(api, merchant, committed, clock):
    body = pay(api, make_card(merchant), amount=4000).json()
    api.post(
        "/v1/test_helpers/simulate", {"type": "charge.dispute.created", "object": body["id"]}, format="json"
    )
    dispute = Dispute.objects.get(payment_intent__public_id=body["id"])
    days_left = (dispute.due_by - timezone.now()).days  # Visa: 23 days (apps/disputes/deadlines.py)
    assert days_left >= 20
    advance(api, committed, clock["id"], START + (days_left - 4) * DAY)
    reminders = Event.objects.filter(type="charge.dispute.deadline_reminder")
    assert reminders.count() == 1
    dispute.refresh_from_db()
    assert dispute.reminded_5d_at is not None and dispute.status == "needs_response"
    advance(api, committed, clock["id"], START + (days_left + 1) * DAY)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.past_due) == ("lost", True)
    assert reminders.count() == 2  # the 24-hour one, on the way past it
    assert Event.objects.filter(type="charge.dispute.closed").count() == 1


def test_settlement_days_make_funds_available_and_file_them(api, merchant, committed, clock):
    pay(api, make_card(merchant), amount=10_000)
    txn = BalanceTransaction.objects.get(merchant=merchant, type="charge")
    assert txn.status == "pending"
    delay = (txn.available_on - timezone.now()).days + 1
    advance(api, committed, clock["id"], START + delay * DAY + 3600)
    txn.refresh_from_db()
    assert txn.status == "available"
    assert api.get("/v1/balance").json()["available"][0]["amount"] > 0
    assert Event.objects.filter(type="balance.available").count() == 1
    # The days it passed were fetched from the sandbox acquirer and reconciled for this merchant.
    assert SettlementFile.objects.filter(source="sync").exists()
    assert ReconciliationRun.objects.filter(merchant=merchant).exists()


def test_payout_arrives_on_the_clocks_time(api, merchant, committed, settings):
    settings.PAYOUTS_SANDBOX_SETTLE_SECONDS = 2 * DAY  # a bank that takes two days
    fund(merchant, 10_000)  # settled on the wall clock, before the clock exists
    us_bank(merchant)
    clock = api.post("/v1/test_helpers/test_clocks", {"frozen_time": START}, format="json").json()
    payout = committed(api.post, "/v1/payouts", {"amount": 4_000, "currency": "usd"}, format="json").json()
    assert "id" in payout, payout
    from apps.payouts.services import payouts_submit_due

    payouts_submit_due()
    assert Payout.objects.get(public_id=payout["id"]).status == "in_transit"
    advance(api, committed, clock["id"], START + DAY)
    assert Payout.objects.get(public_id=payout["id"]).status == "in_transit"
    advance(api, committed, clock["id"], START + 3 * DAY)
    assert Payout.objects.get(public_id=payout["id"]).status == "paid"
    assert Event.objects.filter(type="payout.paid").count() == 1


def test_webhook_retries_follow_the_clock_to_the_end_of_the_schedule(api, merchant, committed, clock):
    with receiver_server() as receiver:
        receiver.default = 500
        make_endpoint(merchant, receiver.url, events=["payment_intent.succeeded"])
        committed(pay, api, make_card(merchant))
        delivery = Delivery.objects.get(event__type="payment_intent.succeeded")
        assert (delivery.attempt_count, delivery.status) == (1, "pending")  # first attempt, refused
        advance(api, committed, clock["id"], START + 3600)  # 5 s, 5 min, 30 min
        delivery.refresh_from_db()
        assert (delivery.attempt_count, delivery.status) == (4, "pending"), delivery.last_error
        advance(api, committed, clock["id"], START + 4 * DAY)  # the rest of the 3-day schedule
        delivery.refresh_from_db()
        assert delivery.status == "failed" and delivery.attempt_count >= 9
        assert len(receiver.requests) == delivery.attempt_count


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/v1/test_helpers/test_clocks"),
        ("post", "/v1/test_helpers/test_clocks"),
        ("get", "/v1/test_helpers/test_clocks/clock_01ABC"),
        ("delete", "/v1/test_helpers/test_clocks/clock_01ABC"),
        ("post", "/v1/test_helpers/test_clocks/clock_01ABC/advance"),
    ],
)
def test_live_keys_see_no_test_clocks(client_for, merchant, api, settings, method, path):
    for live in (
        client_for(merchant, livemode=True),
        client_for(merchant, kind="restricted", livemode=True, scopes=["test_helpers:write"]),
    ):
        resp = getattr(live, method)(path, {"frozen_time": START}, format="json")
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "resource_missing"
    settings.CLEARHOUSE_ENV = "production"
    resp = getattr(api, method)(path, {"frozen_time": START}, format="json")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "resource_missing"
