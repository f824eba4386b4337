from celery import shared_task


@shared_task(acks_late=True)
def daily_metrics_rollup_task() -> int:
    from .services import daily_metrics_rollup_recent

    return daily_metrics_rollup_recent()
