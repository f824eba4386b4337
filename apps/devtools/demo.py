"""Demo data of the developer platform for `manage.py load_demo`, after the payments (ORDER): a
small bulk job (one row refused at upload) and a simulated dispute on a demo payment. Idempotent:
nothing is added when the demo merchant already has a bulk job."""

from apps.audit.services import Actor
from apps.core.errors import ApplicationError
from apps.intents.models import PaymentIntent

from .models import BulkJob
from .services import bulk_job_create, simulation_create

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
