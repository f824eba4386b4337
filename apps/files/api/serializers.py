from rest_framework import serializers

from apps.core.rest import MetadataField, StrictIntegerField, StrictSerializer


class FileCreateInput(StrictSerializer):
    """multipart/form-data: `file` (the bytes) and `purpose`; `file_link_data[...]` is not offered."""

    file = serializers.FileField(required=False, allow_empty_file=True, use_url=False)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=64)
    title = serializers.CharField(required=False, allow_blank=True, max_length=255)


class FileLinkCreateInput(StrictSerializer):
    file = serializers.CharField(max_length=64)
    expires_at = StrictIntegerField(required=False, min_value=0)
    metadata = MetadataField(required=False)
