"""Files merchants upload (Stripe's File, `file_…`): today the evidence of a dispute.

The bytes live in the `files` storage (Django's storage API: a folder under the var dir by
default); the row keeps what the audit trail needs — the size, the type the magic bytes showed
and a SHA-256 of the content. The storage name is ours (merchant id / file id), never the
client's file name."""

from django.db import models

from apps.core.models import PublicIdModel, TenantModel, TimeStampedModel


class File(TenantModel):
    ID_PREFIX = "file"

    class Purpose(models.TextChoices):
        DISPUTE_EVIDENCE = "dispute_evidence"

    class Type(models.TextChoices):
        PDF = "pdf"
        JPG = "jpg"
        PNG = "png"

    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    type = models.CharField(max_length=8, choices=Type.choices)
    filename = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "livemode", "public_id"], name="file_tenant_id")]
        constraints = [models.CheckConstraint(condition=models.Q(size__gt=0), name="file_size_positive")]


class FileLink(PublicIdModel, TimeStampedModel):
    """A shareable URL for a file (Stripe's FileLink, `link_…`), valid until `expires_at`."""

    ID_PREFIX = "link"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    file = models.ForeignKey(File, on_delete=models.PROTECT, related_name="links")
    expires_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "livemode", "public_id"], name="link_tenant_id")]
