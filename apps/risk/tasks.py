from celery import shared_task


@shared_task(acks_late=True)
def risk_labels_from_disputes_task() -> int:
    from apps.risk.services.labels import labels_from_disputes

    return labels_from_disputes()
