from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.errors import ParameterInvalidInteger
from apps.core.rest import MerchantAPIView, created_filter, stripe_list, timestamp_param
from apps.core.schema import error_responses, list_of
from apps.disputes import selectors, services
from apps.disputes.errors import (
    DisputeAlreadyClosed,
    DisputeAlreadySubmitted,
    DisputeEvidenceFieldUnknown,
    DisputeEvidenceFileMissing,
    DisputeEvidenceFilePurpose,
    DisputeEvidenceFilesTooLarge,
    DisputeEvidencePastDue,
    DisputeEvidenceTooLong,
    DisputeEvidenceValueInvalid,
    DisputeStatusFilterInvalid,
    DisputeSubmissionRefused,
    DisputeSubmissionUnavailable,
    DisputeUnexpectedState,
)
from apps.disputes.models import Dispute
from apps.disputes.outputs import DisputeOutput
from apps.disputes.payloads import dispute_to_dict, disputes_with_balance_transactions

from .serializers import DisputeCloseInput, DisputeUpdateInput


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class DisputeListView(MerchantAPIView):
    resource = "disputes"

    @extend_schema(
        parameters=[
            OpenApiParameter("charge", str, required=False),
            OpenApiParameter("payment_intent", str, required=False),
            OpenApiParameter("status", str, required=False),
            OpenApiParameter(
                "due_before", int, required=False, description="Unix seconds: due_by before it."
            ),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        responses={
            200: list_of(DisputeOutput),
            **error_responses(DisputeStatusFilterInvalid, ParameterInvalidInteger),
        },
        operation_id="disputes_list",
    )
    def get(self, request):
        params = request.query_params
        if params.get("status") and params["status"] not in Dispute.Status.values:
            raise DisputeStatusFilterInvalid(value=params["status"])
        filters = {k: params.get(k) for k in ("payment_intent", "charge", "status")}
        if params.get("due_before") is not None:
            filters["due_before"] = timestamp_param(params["due_before"], param="due_before")
        qs = selectors.dispute_list(merchant=request.merchant, livemode=request.livemode, filters=filters)
        qs = created_filter(qs, request)
        return stripe_list(
            request, qs, dispute_to_dict, url="/v1/disputes", prepare=disputes_with_balance_transactions
        )


class DisputeDetailView(MerchantAPIView):
    resource = "disputes"

    @extend_schema(responses={200: DisputeOutput, **error_responses()}, operation_id="disputes_retrieve")
    def get(self, request, dispute_id: str):
        dispute = selectors.dispute_get(merchant=request.merchant, livemode=request.livemode, id=dispute_id)
        return Response(dispute_to_dict(dispute))

    @extend_schema(
        request=DisputeUpdateInput,
        responses={
            200: DisputeOutput,
            **error_responses(
                DisputeAlreadySubmitted,
                DisputeAlreadyClosed,
                DisputeEvidencePastDue,
                DisputeEvidenceFieldUnknown,
                DisputeEvidenceFileMissing,
                DisputeEvidenceFilePurpose,
                DisputeEvidenceFilesTooLarge,
                DisputeEvidenceValueInvalid,
                DisputeEvidenceTooLong,
                DisputeSubmissionRefused,
                DisputeSubmissionUnavailable,
                DisputeUnexpectedState,
            ),
        },
        operation_id="disputes_update",
    )
    def post(self, request, dispute_id: str):
        dispute = selectors.dispute_get(merchant=request.merchant, livemode=request.livemode, id=dispute_id)
        data = _validated(DisputeUpdateInput, request)
        dispute = services.dispute_update(
            dispute_id=dispute.pk,
            actor=Actor.from_request(request),
            evidence=data.get("evidence"),
            metadata=data.get("metadata"),
            submit=data.get("submit", True),
        )
        return Response(dispute_to_dict(dispute))


class DisputeCloseView(MerchantAPIView):
    resource = "disputes"

    @extend_schema(
        request=DisputeCloseInput,
        responses={200: DisputeOutput, **error_responses(DisputeAlreadyClosed, DisputeAlreadySubmitted)},
        operation_id="disputes_close",
    )
    def post(self, request, dispute_id: str):
        dispute = selectors.dispute_get(merchant=request.merchant, livemode=request.livemode, id=dispute_id)
        _validated(DisputeCloseInput, request)
        dispute = services.dispute_close(dispute_id=dispute.pk, actor=Actor.from_request(request))
        return Response(dispute_to_dict(dispute))
