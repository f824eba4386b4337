"""The reporting API: metrics, report types, report runs and their files, the daily settlement
report. Thin: parse → selector/service → payload."""

from datetime import datetime, timedelta

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.errors import NotFoundError, ParameterInvalidInteger, ParameterMissing
from apps.core.payloads import unix
from apps.core.rest import MerchantAPIView, created_filter, stripe_list, timestamp_param
from apps.core.schema import error_responses, list_of
from apps.reporting import metrics as m
from apps.reporting import selectors, services
from apps.reporting.errors import (
    DimensionUnknown,
    GranularityInvalid,
    IntervalInverted,
    IntervalTooLong,
    MetricUnknown,
    ReportColumnUnknown,
    ReportFileLinkExpired,
    ReportFileLinkInvalid,
    ReportFormatInvalid,
    ReportIntervalUnavailable,
    ReportParameterUnknown,
    ReportRunNotReady,
    ReportTypeUnknown,
    ScheduleEndpointNotSubscribed,
    ScheduleFrequencyInvalid,
    SettlementDateInvalid,
    TimezoneUnknown,
)
from apps.reporting.outputs import (
    DeletedReportScheduleOutput,
    ReportingMetricsOutput,
    ReportRunOutput,
    ReportScheduleOutput,
    ReportTypeOutput,
    SettlementReportOutput,
)
from apps.reporting.payloads import report_run_payload, report_schedule_payload, report_type_payload
from apps.reporting.report_types import report_types
from apps.reporting.writers import CONTENT_TYPES

from .serializers import ReportRunCreateInput, ReportScheduleCreateInput, ReportScheduleUpdateInput

MAX_SPAN = {"hour": timedelta(days=31), "day": timedelta(days=400)}
DEFAULT_METRICS = (
    "payments_count",
    "success_rate",
    "decline_rate",
    "chargeback_rate",
    "avg_settlement_delay",
)


def _csv_param(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


class MetricsView(MerchantAPIView):
    resource = "reporting"

    @extend_schema(
        parameters=[
            OpenApiParameter("metrics", str, description="Comma-separated: " + ", ".join(m.ALL_METRIC_NAMES)),
            OpenApiParameter("group_by", str, required=False, description=", ".join(m.DIMENSIONS)),
            OpenApiParameter("granularity", str, required=False, enum=list(m.GRANULARITIES)),
            OpenApiParameter("from", int, required=True, description="Unix seconds, inclusive."),
            OpenApiParameter("to", int, required=True, description="Unix seconds, exclusive."),
            OpenApiParameter("timezone", str, required=False, description="IANA zone of the buckets."),
        ],
        responses={
            200: ReportingMetricsOutput,
            **error_responses(
                MetricUnknown,
                DimensionUnknown,
                GranularityInvalid,
                IntervalInverted,
                IntervalTooLong,
                TimezoneUnknown,
                ParameterMissing,
                ParameterInvalidInteger,
            ),
        },
        operation_id="reporting_metrics",
    )
    def get(self, request):
        params = request.query_params
        names = _csv_param(params.get("metrics")) or list(DEFAULT_METRICS)
        for name in names:
            if name not in m.ALL_METRIC_NAMES:
                raise MetricUnknown(name=name[:64], known=", ".join(m.ALL_METRIC_NAMES))
        group_by = _csv_param(params.get("group_by"))
        for name in group_by:
            if name not in m.DIMENSIONS:
                raise DimensionUnknown(name=name[:64], known=", ".join(m.DIMENSIONS))
        granularity = params.get("granularity") or "day"
        if granularity not in m.GRANULARITIES:
            raise GranularityInvalid(value=granularity[:16])
        for name in ("from", "to"):
            if params.get(name) in (None, ""):
                raise ParameterMissing(f"Missing required param: {name}.", param=name)
        start = timestamp_param(params["from"], param="from")
        end = timestamp_param(params["to"], param="to")
        if end <= start:
            raise IntervalInverted(start_name="from", end_name="to", param="to")
        if end - start > MAX_SPAN[granularity]:
            raise IntervalTooLong(limit=f"{MAX_SPAN[granularity].days} days", param="to")
        tz_name = params.get("timezone") or selectors.reporting_timezone(request.merchant)
        tz = selectors.timezone_param(tz_name, param="timezone")
        answer = m.metrics_query(
            merchant_id=request.merchant.pk,
            livemode=request.livemode,
            start=start,
            end=end,
            tz=tz,
            granularity=granularity,
            group_by=tuple(group_by),
            metrics=tuple(dict.fromkeys(names)),
            now=timezone.now(),
        )
        described = {
            name: (
                {"grain": m.METRICS[name].grain, "unit": m.METRICS[name].unit}
                if name in m.METRICS
                else {"grain": "attempt", "unit": "milliseconds", "source": "live"}
            )
            for name in dict.fromkeys(names)
        }
        return Response(
            {
                "object": "reporting.metrics",
                "from": unix(start),
                "to": unix(end),
                "timezone": tz_name,
                "granularity": granularity,
                "group_by": group_by,
                "metrics": described,
                "data": [
                    {
                        **row,
                        "bucket_start": unix(row["bucket_start"]),
                        "bucket_end": unix(row["bucket_end"]),
                        "bucket": row["bucket_start"].astimezone(tz).isoformat(),
                    }
                    for row in answer.buckets
                ],
                "totals": answer.totals,
                "sources": {
                    "rollup": [unix(t) for t in answer.rollup_span] if answer.rollup_span else None,
                    "live": [[unix(a), unix(b)] for a, b in answer.live_spans],
                },
            }
        )


class ReportTypeListView(MerchantAPIView):
    resource = "reporting"

    @extend_schema(
        responses={200: list_of(ReportTypeOutput), **error_responses()},
        operation_id="reporting_report_types_list",
    )
    def get(self, request):
        available = selectors.data_available(merchant=request.merchant, now=timezone.now())
        data = [
            report_type_payload(t, available=available, livemode=request.livemode) for t in report_types()
        ]
        return Response({"object": "list", "url": request.path, "has_more": False, "data": data})


class ReportTypeDetailView(MerchantAPIView):
    resource = "reporting"

    @extend_schema(
        responses={200: ReportTypeOutput, **error_responses()}, operation_id="reporting_report_types_retrieve"
    )
    def get(self, request, report_type: str):
        from apps.reporting.report_types import report_type_get

        rtype = report_type_get(report_type)
        if rtype is None:
            raise NotFoundError("report type", report_type[:80])
        available = selectors.data_available(merchant=request.merchant, now=timezone.now())
        return Response(report_type_payload(rtype, available=available, livemode=request.livemode))


class ReportRunListView(MerchantAPIView):
    resource = "reporting"

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        responses={200: list_of(ReportRunOutput), **error_responses(ParameterInvalidInteger)},
        operation_id="reporting_report_runs_list",
    )
    def get(self, request):
        qs = selectors.report_run_list(merchant=request.merchant, livemode=request.livemode)
        qs = created_filter(qs, request).select_related("merchant", "schedule")
        return stripe_list(request, qs, report_run_payload, url="/v1/reporting/report_runs")

    @extend_schema(
        request=ReportRunCreateInput,
        responses={
            200: ReportRunOutput,
            **error_responses(
                ReportTypeUnknown,
                ReportFormatInvalid,
                ReportColumnUnknown,
                ReportParameterUnknown,
                ReportIntervalUnavailable,
                IntervalInverted,
                TimezoneUnknown,
                ParameterInvalidInteger,
            ),
        },
        operation_id="reporting_report_runs_create",
    )
    def post(self, request):
        serializer = ReportRunCreateInput(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = services.report_run_create(
            merchant=request.merchant,
            livemode=request.livemode,
            report_type=data["report_type"],
            format=data.get("format") or "csv",
            parameters=data["parameters"],
            actor=Actor.from_request(request),
        )
        run.refresh_from_db()
        return Response(report_run_payload(run))


class ReportRunDetailView(MerchantAPIView):
    resource = "reporting"

    @extend_schema(
        responses={200: ReportRunOutput, **error_responses()}, operation_id="reporting_report_runs_retrieve"
    )
    def get(self, request, report_run_id: str):
        run = selectors.report_run_get(merchant=request.merchant, livemode=request.livemode, id=report_run_id)
        return Response(report_run_payload(run))


class ReportRunFileView(MerchantAPIView):
    """The result file: the caller's key must be the run's merchant's, and `token` the run's
    signed, unexpired link (from the run's `result.url`)."""

    resource = "reporting"

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={
            (200, "application/octet-stream"): bytes,
            **error_responses(ReportRunNotReady, ReportFileLinkInvalid, ReportFileLinkExpired),
        },
        operation_id="reporting_report_runs_file",
    )
    def get(self, request, report_run_id: str):
        run = selectors.report_run_get(merchant=request.merchant, livemode=request.livemode, id=report_run_id)
        selectors.report_file_link_check(
            run, token=request.query_params.get("token") or "", now=timezone.now()
        )
        if run.status != "succeeded" or not run.file:
            raise ReportRunNotReady(run_status=run.status)
        response = FileResponse(
            run.file.open("rb"), content_type=CONTENT_TYPES[run.format], as_attachment=True,
            filename=run.file.name.rsplit("/", 1)[-1],
        )  # fmt: skip
        response["Digest"] = f"sha-256={run.sha256}"
        return response


class ReportScheduleListView(MerchantAPIView):
    """Scheduled reports: a report type over the last whole day / week / month of a time zone,
    its run's `reporting.report_run.succeeded` event (with the signed, expiring file URL)
    delivered to `webhook_endpoint`."""

    resource = "reporting"

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        responses={200: list_of(ReportScheduleOutput), **error_responses(ParameterInvalidInteger)},
        operation_id="reporting_report_schedules_list",
    )
    def get(self, request):
        qs = selectors.report_schedule_list(merchant=request.merchant, livemode=request.livemode)
        return stripe_list(request, created_filter(qs, request), report_schedule_payload,
                           url="/v1/reporting/report_schedules")  # fmt: skip

    @extend_schema(
        request=ReportScheduleCreateInput,
        responses={
            200: ReportScheduleOutput,
            **error_responses(
                ReportTypeUnknown,
                ReportFormatInvalid,
                ReportColumnUnknown,
                ReportParameterUnknown,
                ScheduleFrequencyInvalid,
                ScheduleEndpointNotSubscribed,
                TimezoneUnknown,
            ),
        },
        operation_id="reporting_report_schedules_create",
    )
    def post(self, request):
        serializer = ReportScheduleCreateInput(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        schedule = services.report_schedule_create(
            merchant=request.merchant,
            livemode=request.livemode,
            report_type=data["report_type"],
            format=data.get("format") or "csv",
            frequency=data.get("frequency") or "daily",
            timezone_name=data.get("timezone") or None,
            parameters=data.get("parameters") or {},
            webhook_endpoint=data.get("webhook_endpoint") or None,
            delay_seconds=data.get("delay_seconds", 3600),
            actor=Actor.from_request(request),
        )
        return Response(report_schedule_payload(schedule))


class ReportScheduleDetailView(MerchantAPIView):
    resource = "reporting"

    def _get(self, request, schedule_id):
        return selectors.report_schedule_get(
            merchant=request.merchant, livemode=request.livemode, id=schedule_id
        )

    @extend_schema(
        responses={200: ReportScheduleOutput, **error_responses()},
        operation_id="reporting_report_schedules_retrieve",
    )
    def get(self, request, schedule_id: str):
        return Response(report_schedule_payload(self._get(request, schedule_id)))

    @extend_schema(
        request=ReportScheduleUpdateInput,
        responses={200: ReportScheduleOutput, **error_responses()},
        operation_id="reporting_report_schedules_update",
    )
    def post(self, request, schedule_id: str):
        schedule = self._get(request, schedule_id)
        serializer = ReportScheduleUpdateInput(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        schedule = services.report_schedule_set_active(
            schedule_id=schedule.pk,
            active=serializer.validated_data["active"],
            actor=Actor.from_request(request),
        )
        return Response(report_schedule_payload(schedule))

    @extend_schema(
        responses={200: DeletedReportScheduleOutput,
                   **error_responses()},
        operation_id="reporting_report_schedules_delete",
    )  # fmt: skip
    def delete(self, request, schedule_id: str):
        schedule = self._get(request, schedule_id)
        services.report_schedule_delete(schedule_id=schedule.pk, actor=Actor.from_request(request))
        return Response({"id": schedule.public_id, "object": "reporting.report_schedule", "deleted": True})


class SettlementReportView(MerchantAPIView):
    resource = "reporting"

    @extend_schema(
        parameters=[OpenApiParameter("timezone", str, required=False)],
        responses={200: SettlementReportOutput, **error_responses(SettlementDateInvalid, TimezoneUnknown)},
        operation_id="reporting_settlement_retrieve",
    )
    def get(self, request, day: str):
        from apps.reporting.settlement import settlement_report, settlement_report_payload

        try:
            date_value = datetime.strptime(day, "%Y-%m-%d").date()
        except ValueError:
            raise SettlementDateInvalid(value=day[:20]) from None
        tz_name = request.query_params.get("timezone") or selectors.reporting_timezone(request.merchant)
        tz = selectors.timezone_param(tz_name, param="timezone")
        report = settlement_report(
            merchant=request.merchant, livemode=request.livemode, day=date_value, tz=tz
        )
        return Response(settlement_report_payload(report, tz_name=tz_name))
