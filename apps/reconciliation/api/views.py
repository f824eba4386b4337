"""The merchant API of reconciliation: its settlements (the lines that are its own), syncs,
uploads of its own files, its runs and their discrepancies. Staff-only resolutions (write-off,
force-match, links, edits) are refused here: they live in the back office."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.connectors.models import Connector
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.rest import MerchantAPIView, stripe_list
from apps.core.schema import error_responses, list_of

from .. import selectors
from ..errors import (
    DiscrepancyActionInvalid,
    DiscrepancyAlreadyResolved,
    IntervalInvalid,
    SettlementFileDuplicate,
    SettlementFormatInvalid,
    SettlementMappingRequired,
)
from ..models import ColumnMapping
from ..outputs import (
    DiscrepancyOutput,
    ReconciliationOutput,
    SettlementFileOutput,
    SettlementOutput,
    SettlementSyncOutput,
)
from ..payloads import (
    discrepancy_to_dict,
    reconciliation_to_dict,
    settlement_file_to_dict,
    settlement_sync_to_dict,
    settlement_to_dict,
)
from ..services import (
    discrepancy_resolve,
    reconciliation_run_create,
    settlement_file_ingest,
    settlement_sync_request,
)
from .serializers import STAFF_ACTIONS, IntervalInput, ResolveInput, UploadInput

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _connector(request, public_id: str | None):
    if not public_id:
        return None
    found = Connector.objects.filter(
        merchant=request.merchant, livemode=request.livemode, public_id=public_id
    ).first()
    if found is None:
        raise NotFoundError("connector", public_id, param="connector")
    return found


class SettlementListView(MerchantAPIView):
    resource = "settlements"

    @extend_schema(
        responses={200: list_of(SettlementOutput), **error_responses()}, operation_id="settlements_list"
    )
    def get(self, request):
        qs = selectors.settlement_list(merchant=request.merchant, livemode=request.livemode)

        def prepare(rows):
            return selectors.settlement_with_own_lines(
                rows, merchant=request.merchant, livemode=request.livemode
            )

        return stripe_list(request, qs, settlement_to_dict, url="/v1/settlements", prepare=prepare)


class SettlementDetailView(MerchantAPIView):
    resource = "settlements"

    @extend_schema(
        responses={200: SettlementOutput, **error_responses()}, operation_id="settlements_retrieve"
    )
    def get(self, request, settlement_id: str):
        batch, lines = selectors.settlement_get(
            merchant=request.merchant, livemode=request.livemode, id=settlement_id
        )
        return Response(settlement_to_dict(batch, lines))


class SettlementSyncView(MerchantAPIView):
    resource = "settlements"

    @extend_schema(request=IntervalInput, responses={202: SettlementSyncOutput, **error_responses(IntervalInvalid)},
                   operation_id="settlements_sync")  # fmt: skip
    def post(self, request):
        data = _validated(IntervalInput, request)
        job = settlement_sync_request(
            actor=Actor.from_request(request), interval_start=data["interval_start"], interval_end=data["interval_end"],
            merchant=request.merchant, livemode=request.livemode, connector=_connector(request, data.get("connector")),
        )  # fmt: skip
        job.refresh_from_db()
        return Response(settlement_sync_to_dict(job), status=status.HTTP_202_ACCEPTED)


class SettlementUploadView(MerchantAPIView):
    resource = "settlements"
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": UploadInput},
        responses={200: SettlementFileOutput, **error_responses(SettlementFileDuplicate, SettlementFormatInvalid,
                                               SettlementMappingRequired)},
        operation_id="settlements_upload",
    )  # fmt: skip
    def post(self, request):
        data = _validated(UploadInput, request)
        upload = data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise SettlementFormatInvalid(f"The file is larger than {MAX_UPLOAD_BYTES} bytes.", param="file")
        mapping = None
        if data.get("mapping"):
            mapping = ColumnMapping.objects.filter(name=data["mapping"]).first()
            if mapping is None:
                raise NotFoundError("mapping", data["mapping"], param="mapping")
        file = settlement_file_ingest(
            content=upload, fmt=data["format"], actor=Actor.from_request(request), filename=upload.name or "",
            livemode=request.livemode, mapping=mapping, merchant=request.merchant,
        )  # fmt: skip
        return Response(settlement_file_to_dict(file))


class ReconciliationCreateView(MerchantAPIView):
    resource = "settlements"

    @extend_schema(request=IntervalInput, responses={202: ReconciliationOutput, **error_responses(IntervalInvalid)},
                   operation_id="reconciliations_create")  # fmt: skip
    def post(self, request):
        data = _validated(IntervalInput, request)
        connector = _connector(request, data.get("connector"))
        run = reconciliation_run_create(
            interval_start=data["interval_start"], interval_end=data["interval_end"], actor=Actor.from_request(request),
            livemode=request.livemode, connector_code=connector.code if connector else "", merchant=request.merchant,
        )  # fmt: skip
        run.refresh_from_db()
        return Response(reconciliation_to_dict(run), status=status.HTTP_202_ACCEPTED)


class ReconciliationDetailView(MerchantAPIView):
    resource = "settlements"

    @extend_schema(
        responses={200: ReconciliationOutput, **error_responses()}, operation_id="reconciliations_retrieve"
    )
    def get(self, request, reconciliation_id: str):
        run = selectors.reconciliation_get(
            merchant=request.merchant, livemode=request.livemode, id=reconciliation_id
        )
        return Response(reconciliation_to_dict(run))


class DiscrepancyListView(MerchantAPIView):
    resource = "settlements"

    @extend_schema(
        responses={200: list_of(DiscrepancyOutput), **error_responses()},
        operation_id="reconciliations_discrepancies",
    )
    def get(self, request, reconciliation_id: str):
        run = selectors.reconciliation_get(
            merchant=request.merchant, livemode=request.livemode, id=reconciliation_id
        )
        qs = selectors.run_discrepancies(run=run, merchant=request.merchant)
        return stripe_list(request, qs, lambda d: discrepancy_to_dict(d, selectors.describe_diffs),
                           url=f"/v1/reconciliations/{run.public_id}/discrepancies")  # fmt: skip


class DiscrepancyResolveView(MerchantAPIView):
    resource = "settlements"

    @extend_schema(
        request=ResolveInput,
        responses={
            200: DiscrepancyOutput,
            **error_responses(DiscrepancyActionInvalid, DiscrepancyAlreadyResolved),
        },
        operation_id="reconciliations_discrepancy_resolve",
    )
    def post(self, request, reconciliation_id: str, discrepancy_id: str):
        data = _validated(ResolveInput, request)
        run = selectors.reconciliation_get(
            merchant=request.merchant, livemode=request.livemode, id=reconciliation_id
        )
        found = selectors.discrepancy_get(run=run, merchant=request.merchant, id=discrepancy_id)
        if data["action"] in STAFF_ACTIONS:
            raise PermissionDeniedError(f"The action {data['action']!r} is for finance staff (back office).",
                                        param="action")  # fmt: skip
        resolved = discrepancy_resolve(discrepancy_id=found.pk, action=data["action"], note=data["note"],
                                       actor=Actor.from_request(request))  # fmt: skip
        resolved = selectors.discrepancy_get(run=run, merchant=request.merchant, id=resolved.public_id)
        return Response(discrepancy_to_dict(resolved, selectors.describe_diffs))
