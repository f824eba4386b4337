from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.rest import MetadataField, StrictBooleanField, StrictSerializer
from apps.disputes.models import EVIDENCE_FIELDS


@extend_schema_field(
    {
        "type": "object",
        "properties": {name: {"type": "string"} for name in EVIDENCE_FIELDS},
        "additionalProperties": False,
    }
)
class EvidenceField(serializers.Field):
    """Stripe's `evidence[...]` object; the field names are checked by the service (by name)."""

    default_error_messages = {"not_a_dict": "evidence must be an object of Stripe's evidence fields."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data in ("", None):
            return {}
        if not isinstance(data, dict):
            self.fail("not_a_dict")
        return dict(data)

    def to_representation(self, value):
        return value


class DisputeUpdateInput(StrictSerializer):
    evidence = EvidenceField()
    metadata = MetadataField(required=False)
    submit = StrictBooleanField(required=False, default=True)


class DisputeCloseInput(StrictSerializer):
    pass
