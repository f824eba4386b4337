from rest_framework import serializers

from apps.core.rest import StrictSerializer


class ReportRunCreateInput(StrictSerializer):
    report_type = serializers.CharField(max_length=80)
    format = serializers.CharField(max_length=16, required=False, default="csv")
    parameters = serializers.DictField(required=True)


class ReportScheduleCreateInput(StrictSerializer):
    report_type = serializers.CharField(max_length=80)
    format = serializers.CharField(max_length=16, required=False, default="csv")
    frequency = serializers.CharField(max_length=16, required=False, default="daily")
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    parameters = serializers.DictField(required=False, default=dict)
    webhook_endpoint = serializers.CharField(max_length=40, required=False, allow_blank=True)
    delay_seconds = serializers.IntegerField(required=False, default=3600, min_value=0, max_value=7 * 86400)


class ReportScheduleUpdateInput(StrictSerializer):
    active = serializers.BooleanField()
