from celery import shared_task
from django.utils import timezone

from .idempotency import idempotency_keys_purge
from .models import SchedulerHeartbeat


@shared_task(acks_late=True)
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()


@shared_task(acks_late=True, ignore_result=True)
def scheduler_heartbeat() -> None:
    SchedulerHeartbeat.objects.update_or_create(name="beat", defaults={"last_run_at": timezone.now()})
