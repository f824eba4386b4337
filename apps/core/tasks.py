from celery import shared_task
from django.utils import timezone

from .models import SchedulerHeartbeat


@shared_task
def idempotency_keys_purge_task() -> int:
    from .idempotency import idempotency_keys_purge

    return idempotency_keys_purge()


@shared_task
def scheduler_heartbeat_task() -> None:
    """The beat's proof of life: when it last ran a schedule."""
    SchedulerHeartbeat.objects.update_or_create(name="beat", defaults={"last_run_at": timezone.now()})
