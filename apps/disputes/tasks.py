from celery import shared_task


@shared_task
def mark_past_due_task() -> int:
    """Disputes whose evidence deadline (`due_by`) passed with nothing submitted: past_due, once."""
    from .services import disputes_mark_past_due

    return disputes_mark_past_due()
