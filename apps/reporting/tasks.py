from celery import shared_task


@shared_task(acks_late=True)
def daily_metrics_rollup_task() -> int:
    from .services import daily_metrics_rollup_recent

    return daily_metrics_rollup_recent()


@shared_task(acks_late=True)
def metric_hours_rollup_task() -> int:
    from .services import metric_hours_rollup_recent

    return metric_hours_rollup_recent()


@shared_task(acks_late=True, max_retries=0)
def report_run_execute_task(report_run_id: int) -> str:
    from .services import report_run_execute

    return report_run_execute(report_run_id=report_run_id)


@shared_task(acks_late=True)
def report_schedules_run_due_task() -> int:
    from .services import report_schedules_run_due

    return report_schedules_run_due()
