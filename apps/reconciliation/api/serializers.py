from rest_framework import serializers

from apps.core.rest import StrictSerializer

from ..models import SettlementFile

MERCHANT_ACTIONS = ("ignore", "mark_received")
STAFF_ACTIONS = ("link", "force_match", "write_off", "accept_as_fee", "edit_line", "create_entry")


class IntervalInput(StrictSerializer):
    connector = serializers.CharField(required=False, max_length=64)
    interval_start = serializers.DateField(input_formats=["iso-8601"])
    interval_end = serializers.DateField(input_formats=["iso-8601"])


class UploadInput(StrictSerializer):
    file = serializers.FileField(max_length=255, allow_empty_file=False)
    format = serializers.ChoiceField(choices=SettlementFile.Format.values)
    mapping = serializers.CharField(required=False, max_length=80)


class ResolveInput(StrictSerializer):
    action = serializers.ChoiceField(choices=[*MERCHANT_ACTIONS, *STAFF_ACTIONS])
    note = serializers.CharField(max_length=2000)
