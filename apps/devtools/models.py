from django.db import models

from apps.core.models import TenantModel


class Simulation(TenantModel):
    """One simulated acquirer/network event (`POST /v1/test_helpers/simulate`): what was asked,
    when it runs, and what the owning app's inbound handler made of it."""

    ID_PREFIX = "sim"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        APPLIED = "applied"
        IGNORED = "ignored"
        FAILED = "failed"

    type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    run_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=200, blank=True, default="")
    provider_event_id = models.CharField(max_length=100, blank=True, default="")
    inbound_webhook = models.ForeignKey(
        "webhooks.InboundWebhook", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "run_at"], name="devtools_sim_due_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"
