from celery import shared_task


# A failed write to the export storage is worth a few retries; the run starts over each time.
@shared_task(autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def audit_export_run_task(export_id: int) -> None:
    from .services import audit_export_run

    audit_export_run(export_id=export_id)
