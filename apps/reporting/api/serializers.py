from rest_framework import serializers

from apps.core.rest import StrictSerializer


class ReportRunCreateInput(StrictSerializer):
    report_type = serializers.CharField(max_length=80)
    format = serializers.CharField(max_length=16, required=False, default="csv")
    parameters = serializers.DictField(required=True)
