from celery import shared_task

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES)
def approval_execute_task(self, approval_id: str) -> None:
    """Runs a decided approval's action once. Transient errors (the database went away) are retried
    with backoff; once the retries are spent the request stays `approved` for the sweeper."""
    from .services import TRANSIENT_ERRORS, approval_request_execute

    try:
        approval_request_execute(approval_id=approval_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            raise
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task
def approvals_resume_task() -> int:
    """Resumes approvals a crash left `approved` (decision committed, action never finished)."""
    from .services import approvals_resume

    return approvals_resume()
