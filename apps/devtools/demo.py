"""Demo data of the developer platform for `manage.py load_demo`, after the payments (ORDER): a
small bulk job (one row refused at upload), a simulated dispute and a simulated early fraud
warning on demo payments, and a test clock advanced eight days over a manual-capture payment.
Idempotent: nothing is added when the demo merchant already has a bulk job."""

import datetime as dt

from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors.sandbox.cards import DEFAULT_CARD
from apps.core.errors import ApplicationError
from apps.intents.models import PaymentIntent
from apps.intents.services import payment_intent_create
from apps.vault.services import payment_method_create_card

from .models import BulkJob, TestClock
from .services import bulk_job_create, simulation_create
from .services.clocks import test_clock_advance, test_clock_create, test_clock_delete, test_clock_run_advance

ORDER = 90
ACTOR = Actor.system("load_demo")


def load(merchant, stdout) -> None:
    if BulkJob.objects.filter(merchant=merchant).exists():
        return
    rows = [
        {
            "amount": 4_500,
            "currency": "usd",
            "description": "Invoice 2041",
            "metadata": {"order_id": "bulk-2041"},
        },
        {
            "amount": 12_000,
            "currency": "usd",
            "description": "Invoice 2042",
            "metadata": {"order_id": "bulk-2042"},
        },
        {"amount": "twelve", "currency": "usd", "description": "refused at upload"},
    ]
    job = bulk_job_create(
        merchant=merchant, livemode=False, kind=BulkJob.Kind.PAYMENT_INTENTS, actor=ACTOR, data=rows
    )
    stdout.write(
        f"  Demo bulk job {job.public_id}: 3 rows, one refused at upload (the worker runs the others).\n"
    )
    _clock_demo(merchant, stdout)
    paid = (
        PaymentIntent.objects.filter(merchant=merchant, livemode=False, status=PaymentIntent.Status.SUCCEEDED)
        .exclude(disputes__isnull=False)
        .order_by("-id")
        .first()
    )
    if paid is None:
        return
    try:
        sim = simulation_create(
            merchant=merchant, livemode=False, type="charge.dispute.created", object_id=paid.public_id,
            params={"reason": "product_not_received"}, actor=ACTOR,
        )  # fmt: skip
    except ApplicationError as exc:
        stdout.write(f"  Demo simulation skipped: {exc.message}\n")
        return
    stdout.write(f"  Simulated a dispute on {paid.public_id} ({sim.status}) through the inbound path.\n")
    warned = (
        PaymentIntent.objects.filter(merchant=merchant, livemode=False, status=PaymentIntent.Status.SUCCEEDED)
        .exclude(disputes__isnull=False)
        .exclude(pk=paid.pk)
        .order_by("-id")
        .first()
    )
    if warned is not None:
        try:
            sim = simulation_create(
                merchant=merchant, livemode=False, type="early_fraud_warning.created", object_id=warned.public_id,
                params={"fraud_type": "unauthorized_use_of_card"}, actor=ACTOR,
            )  # fmt: skip
            stdout.write(f"  Simulated an early fraud warning on {warned.public_id} ({sim.status}).\n")
        except ApplicationError as exc:
            stdout.write(f"  Demo early fraud warning skipped: {exc.message}\n")


def _clock_demo(merchant, stdout) -> None:
    """A week on a test clock: a manual-capture payment made under it, the clock advanced eight
    days (the job run here, not left to the worker) and the authorization expired by the intents
    app's own expiry job; then the clock is deleted, so the merchant's later objects keep the wall
    clock. The clock, its events and the canceled payment stay to be looked at."""
    if TestClock.objects.filter(merchant=merchant).exists():
        return
    start = timezone.now().replace(microsecond=0)
    clock = test_clock_create(
        merchant=merchant, livemode=False, frozen_time=start, name="A week on", actor=ACTOR
    )
    pm = payment_method_create_card(
        merchant=merchant, livemode=False, actor=ACTOR, number=DEFAULT_CARD.number, exp_month=12,
        exp_year=start.year + 3, cvc="123",
    )  # fmt: skip
    intent = payment_intent_create(
        merchant=merchant, livemode=False, actor=ACTOR, amount=7_500, currency="USD", payment_method=pm.public_id,
        confirm=True, capture_method="manual", description="Authorized, never captured (test clock demo)",
        metadata={"order_id": "demo-clock-1"},
    )  # fmt: skip
    test_clock_advance(clock_=clock, frozen_time=start + dt.timedelta(days=8), actor=ACTOR)
    clock = test_clock_run_advance(clock_id=clock.pk)
    test_clock_delete(clock_=clock, actor=ACTOR)
    intent.refresh_from_db()
    stdout.write(
        f"  Test clock {clock.public_id}: advanced 8 days over {intent.public_id} (manual capture), "
        f"now {intent.status}; the clock was then deleted.\n"
    )
