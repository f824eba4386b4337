from django.db import models

from apps.core.models import TenantModel


class Event(TenantModel):
    """Transactional outbox: written in the same transaction as the change it describes."""

    ID_PREFIX = "evt"

    type = models.CharField(max_length=100)
    api_version = models.CharField(max_length=20)
    data = models.JSONField()
    previous_attributes = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Set once the fan-out to endpoints has been enqueued; the sweeper re-drives rows left null.
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="event_tenant_idx"),
            models.Index(fields=["merchant", "livemode", "type"], name="event_type_idx"),
            models.Index(
                fields=["enqueued_at"],
                name="event_unenqueued_idx",
                condition=models.Q(enqueued_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"
