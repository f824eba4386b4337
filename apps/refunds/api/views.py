from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.rest import MerchantAPIView, created_filter, stripe_list
from apps.core.schema import error_responses, list_of
from apps.refunds import selectors, services
from apps.refunds.errors import (
    ChargeAlreadyRefunded,
    ChargeNotCaptured,
    PaymentIntentNotRefundable,
    RefundAmountNotPositive,
    RefundAmountTooLarge,
    RefundCancelRefused,
    RefundCancelUnavailable,
    RefundChargeMissing,
    RefundChargeNotOfPaymentIntent,
    RefundNotCancelable,
    RefundPaymentIntentMissing,
    RefundStatusFilterInvalid,
    RefundTargetMissing,
    RefundUnexpectedState,
)
from apps.refunds.models import Refund
from apps.refunds.outputs import RefundOutput
from apps.refunds.payloads import refund_to_dict

from .serializers import RefundCancelInput, RefundCreateInput, RefundUpdateInput


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class RefundListCreateView(MerchantAPIView):
    resource = "refunds"

    @extend_schema(
        request=RefundCreateInput,
        responses={
            200: RefundOutput,
            **error_responses(
                RefundTargetMissing,
                RefundChargeMissing,
                RefundPaymentIntentMissing,
                RefundChargeNotOfPaymentIntent,
                RefundAmountNotPositive,
                RefundAmountTooLarge,
                PaymentIntentNotRefundable,
                ChargeNotCaptured,
                ChargeAlreadyRefunded,
            ),
        },
        operation_id="refunds_create",
    )
    def post(self, request):
        data = _validated(RefundCreateInput, request)
        refund = services.refund_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        return Response(refund_to_dict(refund))

    @extend_schema(
        parameters=[
            OpenApiParameter("payment_intent", str, required=False),
            OpenApiParameter("charge", str, required=False),
            OpenApiParameter("status", str, required=False),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        responses={200: list_of(RefundOutput), **error_responses(RefundStatusFilterInvalid)},
        operation_id="refunds_list",
    )
    def get(self, request):
        params = request.query_params
        if params.get("status") and params["status"] not in Refund.Status.values:
            raise RefundStatusFilterInvalid(value=params["status"])
        qs = selectors.refund_list(
            merchant=request.merchant,
            livemode=request.livemode,
            filters={k: params.get(k) for k in ("payment_intent", "charge", "status")},
        )
        qs = created_filter(qs, request)
        return stripe_list(request, qs, refund_to_dict, url="/v1/refunds")


class RefundDetailView(MerchantAPIView):
    resource = "refunds"

    @extend_schema(responses={200: RefundOutput, **error_responses()}, operation_id="refunds_retrieve")
    def get(self, request, refund_id: str):
        refund = selectors.refund_get(merchant=request.merchant, livemode=request.livemode, id=refund_id)
        return Response(refund_to_dict(refund))

    @extend_schema(
        request=RefundUpdateInput,
        responses={200: RefundOutput, **error_responses()},
        operation_id="refunds_update",
    )
    def post(self, request, refund_id: str):
        refund = selectors.refund_get(merchant=request.merchant, livemode=request.livemode, id=refund_id)
        data = _validated(RefundUpdateInput, request)
        refund = services.refund_update(refund_id=refund.pk, actor=Actor.from_request(request), **data)
        return Response(refund_to_dict(refund))


class RefundCancelView(MerchantAPIView):
    resource = "refunds"

    @extend_schema(
        request=RefundCancelInput,
        responses={
            200: RefundOutput,
            **error_responses(
                RefundUnexpectedState, RefundNotCancelable, RefundCancelRefused, RefundCancelUnavailable
            ),
        },
        operation_id="refunds_cancel",
    )
    def post(self, request, refund_id: str):
        refund = selectors.refund_get(merchant=request.merchant, livemode=request.livemode, id=refund_id)
        data = _validated(RefundCancelInput, request)
        refund = services.refund_cancel(
            refund_id=refund.pk, actor=Actor.from_request(request), reason=data.get("reason", "")
        )
        return Response(refund_to_dict(refund))
