from django.db import models

from apps.audit.history import track_config
from apps.core.models import PublicIdModel, TimeStampedModel

from .cache import ApiKeyQuerySet, MerchantQuerySet, MerchantSettingsQuerySet, api_key_write_back


class Merchant(PublicIdModel, TimeStampedModel):
    """The tenant."""

    ID_PREFIX = "acct"

    class Status(models.TextChoices):
        ACTIVE = "active"
        SUSPENDED = "suspended"

    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, default="US")
    default_currency = models.CharField(max_length=3, default="USD")
    settlement_currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    support_email = models.EmailField(blank=True)

    objects = MerchantQuerySet.as_manager()  # update() invalidates the cached API keys (cache.py)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


@track_config()
class MerchantSettings(TimeStampedModel):
    class CaptureMethod(models.TextChoices):
        AUTOMATIC = "automatic"
        MANUAL = "manual"

    class ThreeDSPolicy(models.TextChoices):
        AUTOMATIC = "automatic"  # challenge when the card or issuer asks for it
        ALWAYS = "always"
        NEVER = "never"  # (exemption requested; the issuer may still insist)

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="settings")
    allowed_payment_method_types = models.JSONField(default=list)
    default_capture_method = models.CharField(
        max_length=16, choices=CaptureMethod.choices, default=CaptureMethod.AUTOMATIC
    )
    max_authorization_amount = models.BigIntegerField(default=10_000_000)
    three_ds_policy = models.CharField(
        max_length=16, choices=ThreeDSPolicy.choices, default=ThreeDSPolicy.AUTOMATIC
    )
    dispute_retention_days = models.PositiveIntegerField(default=540)
    # Approval thresholds per currency, in that currency's minor units ({"USD": 10000, "JPY": 1000}):
    # a refund or payout above the threshold of ITS currency waits for an approver.
    refund_approval_thresholds = models.JSONField(default=dict, blank=True)
    payout_approval_thresholds = models.JSONField(default=dict, blank=True)
    # The first API's single thresholds, one number of minor units of whatever currency: kept for API
    # compatibility, they apply only to currencies without an entry above. Null: no approval step.
    refund_approval_threshold = models.BigIntegerField(null=True, blank=True)
    payout_approval_threshold = models.BigIntegerField(null=True, blank=True)
    settlement_delay_days = models.PositiveSmallIntegerField(default=2)
    # Off (Stripe's behaviour): saving a payment method to a customer without allow_redisplay
    # records "unspecified". On: it must say always or limited (explicit consent).
    require_redisplay_consent = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    objects = MerchantSettingsQuerySet.as_manager()  # update() invalidates the cached API keys

    class Meta:
        verbose_name_plural = "merchant settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_authorization_amount__gt=0), name="settings_max_auth_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"Settings of {self.merchant.name}"

    def refund_threshold_for(self, currency: str) -> int | None:
        """The refund amount (minor units of `currency`) above which a refund needs approval."""
        return _threshold(self.refund_approval_thresholds, self.refund_approval_threshold, currency)

    def payout_threshold_for(self, currency: str) -> int | None:
        """The payout amount (minor units of `currency`) above which a payout needs approval."""
        return _threshold(self.payout_approval_thresholds, self.payout_approval_threshold, currency)


def _threshold(per_currency: dict, legacy: int | None, currency: str) -> int | None:
    own = (per_currency or {}).get((currency or "").upper())
    return int(own) if own is not None else legacy


DEFAULT_PAYMENT_METHOD_TYPES = ["card", "sepa_debit", "us_bank_account", "apple_pay", "google_pay", "paypal"]


# The hash and lookup never enter the history; last_used_at changes on every request.
@track_config(exclude=["hashed_key", "lookup", "last_used_at", "last_stripe_version"])
class ApiKey(PublicIdModel, TimeStampedModel):
    """A merchant API key, stored as SHA-256 of the secret with a visible prefix for display.

    Key format: `<sk|pk|rk>_<test|live>_<lookup 12><secret 32>`; `lookup` is indexed, the whole key
    is hashed (it carries 260 bits of entropy, so a fast hash is the right tool here)."""

    ID_PREFIX = "key"

    class Kind(models.TextChoices):
        SECRET = "secret"
        PUBLISHABLE = "publishable"
        RESTRICTED = "restricted"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    livemode = models.BooleanField(default=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    lookup = models.CharField(max_length=24, unique=True)
    hashed_key = models.CharField(max_length=64)
    display_prefix = models.CharField(max_length=40)
    scopes = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The Stripe-Version header the key's client last sent (stripe SDKs send it on every request):
    # which client generation a merchant runs, shown in the admin.
    last_stripe_version = models.CharField(max_length=40, blank=True, default="")
    created_by = models.CharField(max_length=200, blank=True)

    objects = ApiKeyQuerySet.as_manager()  # update() invalidates the cached key (cache.py)

    class Meta:
        indexes = [models.Index(fields=["merchant", "livemode", "public_id"], name="apikey_tenant_idx")]
        permissions = [("revoke_apikey", "Can revoke API keys")]

    def cache_write_back(self) -> None:
        """The cached copy gets this instance's bookkeeping columns (apps/core/rest.py)."""
        api_key_write_back(self)

    def __str__(self) -> str:
        return f"{self.display_prefix}… ({self.kind})"
