from django.db import models

from apps.core.models import TenantModel


class RuleSet(TenantModel):
    """A merchant's routing rules in one mode, versioned: an edit makes a new version and the
    active version is explicit (at most one active rule set per merchant and mode)."""

    ID_PREFIX = "rr"

    name = models.CharField(max_length=100)
    latest_version = models.PositiveIntegerField(default=1)
    active_version = models.PositiveIntegerField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode"],
                condition=models.Q(active_version__isnull=False),
                name="routing_one_active_rule_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.name}"


class RuleSetVersion(models.Model):
    """One immutable version of a rule set: ordered rules and the default fallback order."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    rules = models.JSONField(default=list)
    default_fallback = models.JSONField(default=list)
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule_set", "version"], name="routing_version_unique")]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.rule_set.public_id} v{self.version}"
