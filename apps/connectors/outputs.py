"""The OpenAPI components of `payloads.py`'s shapes and of what the connector endpoints answer —
schema only, field for field (validated against real payloads by
tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from .capabilities import AMOUNT_KEYS, FLAG_KEYS, LIST_KEYS
from .models import Connector


def _capability_fields(*, required: bool) -> dict:
    lists = {
        key: serializers.ListField(child=serializers.CharField(), allow_null=True, required=required)
        for key in LIST_KEYS
    }
    amounts = {key: serializers.IntegerField(allow_null=True, required=required) for key in AMOUNT_KEYS}
    flags = {key: serializers.BooleanField(required=required) for key in FLAG_KEYS}
    return {**lists, **amounts, **flags}


ConnectorCapabilitiesOutput = type(
    "ConnectorCapabilitiesOutput",
    (serializers.Serializer,),
    {"__doc__": "The capability matrix (apps.connectors.capabilities): a list of null means any.",
     **_capability_fields(required=True)},
)  # fmt: skip
ConnectorCapabilityOverridesOutput = type(
    "ConnectorCapabilityOverridesOutput",
    (serializers.Serializer,),
    {"__doc__": "What the account narrowed of its provider's matrix.", **_capability_fields(required=False)},
)


class CredentialsMaskOutput(serializers.Serializer):
    fields = serializers.DictField(
        child=serializers.CharField(), help_text="Each field's last 4 at most: ••••1234."
    )
    fingerprint = serializers.CharField(allow_null=True)


class ConnectorCredentialsOutput(CredentialsMaskOutput):
    rotated_at = serializers.IntegerField(allow_null=True)
    previous = CredentialsMaskOutput(
        allow_null=True, help_text="The credentials still accepted during a rotation."
    )


class ConnectorTestResultOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    latency_ms = serializers.IntegerField()
    provider_request_id = serializers.CharField()
    detail = serializers.CharField(allow_null=True)
    checked_at = serializers.IntegerField()


class ConnectorOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["connector"])
    type = serializers.CharField(help_text="The provider: sandbox, stripe, adyen, …")
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=Connector.Status.choices)
    is_default = serializers.BooleanField()
    credentials = ConnectorCredentialsOutput()
    capabilities = ConnectorCapabilitiesOutput()
    capability_overrides = ConnectorCapabilityOverridesOutput()
    config = serializers.DictField(help_text="Provider-specific settings.")
    webhook_url = serializers.CharField()
    last_test = ConnectorTestResultOutput(allow_null=True)
    circuit = serializers.ChoiceField(choices=["closed", "open", "half_open"])
    disabled_at = serializers.IntegerField(allow_null=True)
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


class ProviderOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["provider"])
    type = serializers.CharField()
    name = serializers.CharField()
    test_mode = serializers.BooleanField()
    live_mode = serializers.BooleanField()
    credential_fields = serializers.ListField(child=serializers.CharField())
    capabilities = ConnectorCapabilitiesOutput()
    decline_table = serializers.DictField(
        child=serializers.CharField(), help_text="Provider code → Stripe decline code."
    )


class ConnectorCallLogEntryOutput(serializers.Serializer):
    operation = serializers.CharField()
    outcome = serializers.CharField()
    duration_ms = serializers.IntegerField()
    provider_request_id = serializers.CharField()
    request = serializers.DictField(help_text="Redacted: no card data, no credentials.")
    response = serializers.DictField(help_text="Redacted.")
    created = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="The entry's sequence number for this connector.")
    exchanges = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="The provider HTTP exchanges of the call (method, url, status, duration, redacted "
        "request and response bodies; credentials and card data scrubbed), at most 20.",
    )


class DeletedConnectorOutput(serializers.Serializer):
    """DELETE /v1/connectors/{id}: deleted, or only disabled when payments still refer to it."""

    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["connector"])
    deleted = serializers.BooleanField()
    status = serializers.ChoiceField(choices=[*Connector.Status.values, "deleted"])
