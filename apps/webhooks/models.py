from django.db import models

from apps.audit.history import track_config
from apps.core.models import PublicIdModel, TenantModel, TimeStampedModel


class Event(TenantModel):
    """Transactional outbox: written in the same transaction as the change it describes."""

    ID_PREFIX = "evt"

    type = models.CharField(max_length=100)
    api_version = models.CharField(max_length=20)
    data = models.JSONField()
    # The id of the object the event is about (`data.object.id`: pi_…, ch_…, re_…), indexed so a
    # payment's page can list its events without scanning the JSON; "" for objects without an id.
    object_id = models.CharField(max_length=64, blank=True, default="")
    previous_attributes = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Set once the fan-out to endpoints has been enqueued; the sweeper re-drives rows left null.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # Set by the fan-out itself (Delivery rows written), which makes a second fan-out a no-op.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="event_tenant_idx"),
            models.Index(fields=["merchant", "livemode", "type"], name="event_type_idx"),
            models.Index(fields=["merchant", "livemode", "object_id"], name="event_object_idx"),
            # The outbox sweeper's one index (events_outbox_sweep: not fanned out, oldest first).
            # The fan-out sets enqueued_at and fanned_out_at together, so one partial index
            # serves both of its queries (issue 21 dropped event_unenqueued_idx).
            models.Index(
                fields=["created_at"],
                name="event_not_fanned_out_idx",
                condition=models.Q(fanned_out_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"

    @staticmethod
    def object_id_of(obj) -> str:
        """The indexed object id of an event's `data.object` ("" when it has none)."""
        found = obj.get("id") if isinstance(obj, dict) else None
        return found[:64] if isinstance(found, str) else ""


# Secrets never enter the history; failing_since moves with every failed delivery.
@track_config(exclude=["secret_ciphertext", "previous_secret_ciphertext", "failing_since"])
class WebhookEndpoint(TenantModel):
    """A merchant URL that receives signed events. The signing secret is stored encrypted
    (AES-GCM, FIELD_ENCRYPTION_KEYS) and shown to the merchant only once."""

    ID_PREFIX = "we"

    class Status(models.TextChoices):
        ENABLED = "enabled"
        DISABLED = "disabled"

    class DisabledReason(models.TextChoices):
        NONE = "", "—"
        MANUAL = "manual", "Disabled by the merchant or staff"
        GONE = "gone", "Endpoint answered 410 Gone"
        FAILING = "failing", "Every delivery failed for 3 days"

    url = models.URLField(max_length=2048)
    description = models.CharField(max_length=5000, blank=True, default="")
    enabled_events = models.JSONField(default=list)
    api_version = models.CharField(max_length=20)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENABLED)
    disabled_reason = models.CharField(
        max_length=16, choices=DisabledReason.choices, default=DisabledReason.NONE, blank=True
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failed attempts (null while the endpoint is healthy).
    failing_since = models.DateTimeField(null=True, blank=True)
    secret_ciphertext = models.TextField()
    # After rotate_secret the old secret keeps signing (a second signature) until it expires.
    previous_secret_ciphertext = models.TextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "livemode", "status"], name="endpoint_tenant_status_idx")]
        permissions = [("manage_webhookendpoint", "Can enable and disable webhook endpoints")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.url}"


class Delivery(PublicIdModel, TimeStampedModel):
    """One event to one destination (an endpoint, or a per-payment URL from the object's
    metadata). Retries are driven by `next_attempt_at`, swept by a beat task."""

    ID_PREFIX = "whdel"

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    # For endpoint deliveries the endpoint's url at fan-out; for per-payment ones the metadata url.
    url = models.URLField(max_length=2048)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # Attempts in the current schedule (reset, with schedule_started_at, when re-driven).
    schedule_attempt = models.PositiveIntegerField(default=0)
    schedule_started_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a send task was last published for it; the sweeper re-publishes stale ones.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # The claim of the worker sending it (services/sending.py): nobody else claims it before this
    # time; a claim whose worker died expires and the sweeper publishes the row again.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        permissions = [("redrive_delivery", "Can replay and re-drive webhook deliveries")]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"],
                condition=models.Q(endpoint__isnull=False),
                name="delivery_one_per_endpoint",
            ),
            models.UniqueConstraint(
                fields=["event", "url"],
                condition=models.Q(endpoint__isnull=True),
                name="delivery_one_per_url",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "status", "created_at"], name="delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"


class DeliveryAttempt(models.Model):
    """Every HTTP attempt, as a person investigating a failing endpoint needs to see it."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(db_index=True)
    url = models.URLField(max_length=2048)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    request_headers = models.JSONField(default=dict)
    request_body_excerpt = models.TextField(blank=True, default="")
    response_body_excerpt = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.outcome}"


class InboundWebhook(TimeStampedModel):
    """A provider callback, stored raw before anything else happens (untrusted until verified).

    One row per request received; the partial unique constraint lets only one row per
    (connector, provider event id) be processing or processed, so a replay changes nothing."""

    class Status(models.TextChoices):
        RECEIVED = "received"  # stored, not yet verified
        REJECTED = "rejected"  # unverifiable or not understood (answered 400)
        PROCESSING = "processing"
        PROCESSED = "processed"  # applied to our objects
        IGNORED = "ignored"  # verified, nothing to change (already in that state, unknown object, …)
        DUPLICATE = "duplicate"  # a replay of an event already processed
        FAILED = "failed"  # processing raised; a replay of the same event retries it

    connector = models.ForeignKey(
        "connectors.Connector", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    connector_ref = models.CharField(max_length=64)
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    livemode = models.BooleanField(default=False)
    provider = models.CharField(max_length=40, blank=True, default="")
    provider_event_id = models.CharField(max_length=255, blank=True, default="")
    event_type = models.CharField(max_length=100, blank=True, default="")
    gateway_reference = models.CharField(max_length=255, blank=True, default="")
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True, default="")
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    result = models.CharField(max_length=100, blank=True, default="")
    error = models.TextField(blank=True, default="")
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "provider_event_id"],
                condition=models.Q(status__in=["processing", "processed", "ignored"]),
                name="inbound_webhook_dedupe",
            ),
        ]
        indexes = [models.Index(fields=["connector", "provider_event_id"], name="inbound_event_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_event_id or '?'} ({self.status})"
