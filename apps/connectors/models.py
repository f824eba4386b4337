from django.db import models
from django.dispatch import Signal

from apps.core.models import TenantModel

# Sent after ``Connector.objects….update()`` (which sends no post_save) with ``tenants``, the set
# of (merchant id, livemode) whose rows it changed: readers that cache a tenant's connector
# accounts (routing's context) listen to it beside post_save/post_delete.
connectors_updated = Signal()


class ConnectorQuerySet(models.QuerySet):
    def update(self, **kwargs):
        tenants = set(self.values_list("merchant_id", "livemode"))  # before: the update may move rows
        count = super().update(**kwargs)
        if tenants:
            connectors_updated.send(sender=Connector, tenants=tenants)
        return count


class Connector(TenantModel):
    """One configured provider account of a merchant (test mode: the sandbox acquirer)."""

    ID_PREFIX = "con"

    class Status(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"

    code = models.CharField(max_length=40, help_text="Adapter code, e.g. sandbox.")
    name = models.CharField(max_length=100, help_text="The label the merchant gave the account.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    is_default = models.BooleanField(default=False)
    # Encrypted JSON (apps.connectors.crypto, FIELD_ENCRYPTION_KEYS); never shown back in full.
    credentials_ciphertext = models.TextField(blank=True, default="")
    # What may be shown of the credentials: each field's last 4 and a keyed fingerprint.
    credentials_mask = models.JSONField(default=dict, blank=True)
    # During a rotation the previous credentials stay usable (inbound signatures verify with
    # either) until the cut-over clears them.
    previous_credentials_ciphertext = models.TextField(blank=True, default="")
    previous_credentials_mask = models.JSONField(default=dict, blank=True)
    credentials_rotated_at = models.DateTimeField(null=True, blank=True)
    # Narrowing of the adapter's capability matrix for this account (apps.connectors.capabilities).
    capabilities = models.JSONField(default=dict, blank=True)
    # Non-secret provider settings; for the sandbox, its configurable behaviour.
    config = models.JSONField(default=dict, blank=True)
    last_test = models.JSONField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = ConnectorQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "code"],
                condition=models.Q(is_default=True),
                name="connector_one_default_per_code",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "livemode", "status"], name="connector_tenant_status")]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.code})"


class SandboxTransaction(models.Model):
    """The simulated acquirer's own books (not ours): one row per operation it received."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    operation = models.CharField(max_length=16)
    reference = models.CharField(max_length=64, db_index=True)
    parent_reference = models.CharField(max_length=64, blank=True, default="", db_index=True)
    status = models.CharField(max_length=24)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    behaviour = models.CharField(max_length=40, blank=True, default="")
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "sandbox acquirer transaction"

    def __str__(self) -> str:
        return f"{self.operation} {self.reference}"
