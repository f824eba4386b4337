"""`/v1/payment_intents/bulk` and `/v1/refunds/bulk`: upload, status, per-row results, cancel."""

import csv
import io
import json

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.errors import ParameterInvalid
from apps.core.rest import MerchantAPIView, stripe_list
from apps.core.schema import error_responses, list_of
from apps.devtools import selectors, services
from apps.devtools.errors import BulkJobNotCancelable, BulkUploadInvalid
from apps.devtools.outputs import BulkJobOutput
from apps.devtools.payloads import RESULT_COLUMNS, bulk_job_to_dict, bulk_row_result

UPLOAD = inline_serializer(
    "BulkJobUpload", fields={"file": serializers.FileField(help_text="CSV or JSON Lines, one object per row")}
)


class _BulkBase(MerchantAPIView):
    kind = ""

    def _job(self, request, job_id: str):
        return selectors.bulk_job_get(
            merchant=request.merchant, livemode=request.livemode, kind=self.kind, id=job_id
        )


class BulkJobCollectionView(_BulkBase):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request):
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        data = None if upload is not None else request.data
        key = getattr(request, "api_key", None)
        job = services.bulk_job_create(
            merchant=request.merchant,
            livemode=request.livemode,
            kind=self.kind,
            actor=Actor.from_request(request),
            data=data,
            upload=upload,
            api_key_public_id=key.public_id if key is not None else "",
        )
        return Response(bulk_job_to_dict(job))

    def get(self, request):
        qs = selectors.bulk_job_list(merchant=request.merchant, livemode=request.livemode, kind=self.kind)
        return stripe_list(request, qs, bulk_job_to_dict)


class BulkJobDetailView(_BulkBase):
    def get(self, request, job_id: str):
        return Response(bulk_job_to_dict(self._job(request, job_id)))


class BulkJobCancelView(_BulkBase):
    def post(self, request, job_id: str):
        job = services.bulk_job_cancel(job=self._job(request, job_id), actor=Actor.from_request(request))
        return Response(bulk_job_to_dict(job))


class BulkJobResultsView(_BulkBase):
    """The per-row result file: CSV (the default) or JSON Lines (`file_format=jsonl`), streamed."""

    def get(self, request, job_id: str):
        job = self._job(request, job_id)
        fmt = request.query_params.get("file_format", "csv")
        if fmt not in ("csv", "jsonl"):
            raise ParameterInvalid("file_format must be csv or jsonl.", param="file_format")
        rows = (bulk_row_result(row) for row in selectors.bulk_job_rows(job))
        if fmt == "jsonl":
            body = (json.dumps(item, separators=(",", ":")) + "\n" for item in rows)
            content_type = "application/x-ndjson"
        else:
            body = _csv_lines(rows)
            content_type = "text/csv; charset=utf-8"
        response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{job.public_id}-results.{fmt}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, StreamingHttpResponse):
            return response
        return super().finalize_response(request, response, *args, **kwargs)


def _csv_lines(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS)
    writer.writeheader()
    for item in rows:
        writer.writerow({k: "" if v is None else v for k, v in item.items()})
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _own(fn):
    def method(self, request, *args, **kwargs):
        return fn(self, request, *args, **kwargs)

    method.__name__, method.__doc__ = fn.__name__, fn.__doc__
    return method


def _views(kind: str, resource: str, prefix: str) -> dict:
    """The four views of one kind, each with its schema."""
    made = {}
    for name, base, methods in (
        ("collection", BulkJobCollectionView, {
            "post": extend_schema(request={"application/json": {"type": "array", "items": {"type": "object"}},
                                           "multipart/form-data": UPLOAD},
                                  responses={200: BulkJobOutput, **error_responses(BulkUploadInvalid)},
                                  operation_id=f"{prefix}_bulk_create"),
            "get": extend_schema(responses={200: list_of(BulkJobOutput), **error_responses()},
                                 operation_id=f"{prefix}_bulk_list"),
        }),
        ("detail", BulkJobDetailView, {
            "get": extend_schema(responses={200: BulkJobOutput, **error_responses()}, operation_id=f"{prefix}_bulk_retrieve"),
        }),
        ("cancel", BulkJobCancelView, {
            "post": extend_schema(request=None, responses={200: BulkJobOutput, **error_responses(BulkJobNotCancelable)},
                                  operation_id=f"{prefix}_bulk_cancel"),
        }),
        ("results", BulkJobResultsView, {
            "get": extend_schema(
                parameters=[OpenApiParameter("file_format", str, enum=["csv", "jsonl"], required=False)],
                responses={(200, "text/csv"): str, (200, "application/x-ndjson"): str,
                           **error_responses(ParameterInvalid)},
                operation_id=f"{prefix}_bulk_results"),
        }),
    ):  # fmt: skip
        attrs = {"kind": kind, "resource": resource, "__module__": __name__}
        for method, decorator in methods.items():
            # A function of this class's own: extend_schema stores the schema on the function, and
            # the two kinds must not share (and overwrite) one.
            attrs[method] = decorator(_own(getattr(base, method)))
        made[name] = type(f"{prefix.title().replace('_', '')}Bulk{name.title()}View", (base,), attrs)
    return made


PAYMENT_INTENTS = _views("payment_intents", "payment_intents", "payment_intents")
REFUNDS = _views("refunds", "refunds", "refunds")
