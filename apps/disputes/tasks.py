from celery import shared_task


@shared_task
def run_deadlines_task() -> int:
    """Evidence deadlines: reminders at T-5 days and T-24 hours, and at `due_by` with nothing
    submitted the dispute is past due and closes as lost (each step once)."""
    from .services import disputes_run_deadlines

    return disputes_run_deadlines()


@shared_task
def deliver_sandbox_notifications_task() -> int:
    """The sandbox acquirer's dispute callbacks, each once, a little after the fact."""
    from .services import disputes_deliver_sandbox_notifications

    return disputes_deliver_sandbox_notifications()
