"""The OpenAPI components of `payloads.py`'s shapes — schema only, field for field (validated
against real payloads by tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from .models import File


class FileLinkOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["file_link"])
    created = serializers.IntegerField()
    expired = serializers.BooleanField()
    expires_at = serializers.IntegerField(allow_null=True)
    file = serializers.CharField()
    livemode = serializers.BooleanField()
    metadata = serializers.DictField(child=serializers.CharField())
    url = serializers.CharField(
        allow_null=True, help_text="A signed download URL; null once the link expired."
    )


class FileLinksOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["list"])
    data = FileLinkOutput(many=True)
    has_more = serializers.BooleanField()
    url = serializers.CharField()


class FileOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["file"])
    created = serializers.IntegerField()
    expires_at = serializers.IntegerField(allow_null=True)
    filename = serializers.CharField()
    links = FileLinksOutput()
    purpose = serializers.ChoiceField(choices=File.Purpose.choices)
    size = serializers.IntegerField()
    title = serializers.CharField(allow_null=True)
    type = serializers.ChoiceField(choices=File.Type.choices)
    url = serializers.CharField(
        help_text="A signed download URL that expires; no API key needed to follow it."
    )
