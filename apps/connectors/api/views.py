from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.services import Actor
from apps.connectors import observe, registry, selectors, services, settlement
from apps.connectors.capabilities import PaymentShape
from apps.connectors.errors import (
    ConnectorCapabilitiesInvalid,
    ConnectorConfigInvalid,
    ConnectorCredentialsInvalid,
    ConnectorNoRotation,
    ConnectorTestRateLimited,
    ConnectorTypeNotInMode,
    ConnectorTypeUnknown,
)
from apps.connectors.models import Connector
from apps.connectors.outputs import (
    ConnectorCallLogEntryOutput,
    ConnectorOutput,
    ConnectorTestResultOutput,
    DeletedConnectorOutput,
    ProviderOutput,
)
from apps.connectors.payloads import connector_to_dict, connectors_with_circuits, provider_to_dict
from apps.core.errors import ParameterInvalid
from apps.core.rest import MerchantAPIView, created_filter, stripe_list
from apps.core.schema import error_responses, list_of

from .serializers import (
    ConnectorCreateInput,
    ConnectorRotateInput,
    ConnectorUpdateInput,
    DiscoverInput,
    SettlementRunInput,
)

CREATE_ERRORS = (
    ConnectorTypeUnknown,
    ConnectorTypeNotInMode,
    ConnectorCredentialsInvalid,
    ConnectorCapabilitiesInvalid,
    ConnectorConfigInvalid,
)


def _validated(serializer_class, request, data=None) -> dict:
    serializer = serializer_class(
        data=data if data is not None else (request.data if request.data is not None else {})
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _connector(request, connector_id: str) -> Connector:
    return selectors.connector_get(merchant=request.merchant, livemode=request.livemode, id=connector_id)


def _circuits(connectors):
    states = observe.circuit_states([c.public_id for c in connectors])
    return lambda connector: connector_to_dict(connector, circuit=states.get(connector.public_id))


class ProviderListView(APIView):
    """The provider types Clearhouse supports and their capability matrix (no merchant data)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(responses={200: list_of(ProviderOutput)}, operation_id="providers_list", auth=[])
    def get(self, request):
        data = [provider_to_dict(cls) for cls in registry.adapter_classes()]
        return Response({"object": "list", "data": data, "has_more": False, "url": "/v1/providers"})


class ConnectorListCreateView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, required=False),
            OpenApiParameter("type", str, required=False),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        responses={200: list_of(ConnectorOutput), **error_responses(ParameterInvalid)},
        operation_id="connectors_list",
    )
    def get(self, request):
        status = request.query_params.get("status")
        if status and status not in Connector.Status.values:
            raise ParameterInvalid(f"Invalid status: {status[:40]!r}.", param="status")
        qs = selectors.connector_list(merchant=request.merchant, livemode=request.livemode, status=status)
        if request.query_params.get("type"):
            qs = qs.filter(code=request.query_params["type"][:40])
        qs = created_filter(qs, request)
        return stripe_list(
            request, qs, connector_to_dict, url="/v1/connectors", prepare=connectors_with_circuits
        )

    @extend_schema(
        request=ConnectorCreateInput,
        responses={200: ConnectorOutput, **error_responses(*CREATE_ERRORS)},
        operation_id="connectors_create",
    )
    def post(self, request):
        data = _validated(ConnectorCreateInput, request)
        connector = services.connector_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        return Response(connector_to_dict(connector))


class ConnectorDiscoverView(MerchantAPIView):
    """The merchant's own active connectors that can take a payment of this shape."""

    resource = "connectors"

    @extend_schema(
        parameters=[
            OpenApiParameter("currency", str, required=True),
            OpenApiParameter("country", str, required=False),
            OpenApiParameter("payment_method_type", str, required=False),
            OpenApiParameter("card_brand", str, required=False),
            OpenApiParameter("amount", int, required=False),
            OpenApiParameter("capture_method", str, required=False),
        ],
        responses={200: list_of(ConnectorOutput), **error_responses()},
        operation_id="connectors_discover",
    )
    def get(self, request):
        params = _validated(DiscoverInput, request, data=request.query_params.dict())
        shape = PaymentShape(
            amount=params.get("amount") or 1,
            currency=params["currency"],
            payment_method_type=params["payment_method_type"],
            card_brand=params["card_brand"],
            country=(params.get("country") or "").upper(),
            capture_method=params["capture_method"],
        )
        found = selectors.connector_discover(
            merchant=request.merchant, livemode=request.livemode, payment=shape
        )
        serialize = _circuits(found)
        return Response(
            {
                "object": "list",
                "data": [serialize(c) for c in found],
                "has_more": False,
                "url": "/v1/connectors/discover",
            }
        )


class ConnectorDetailView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(responses={200: ConnectorOutput, **error_responses()}, operation_id="connectors_retrieve")
    def get(self, request, connector_id: str):
        return Response(connector_to_dict(_connector(request, connector_id)))

    @extend_schema(
        request=ConnectorUpdateInput,
        responses={
            200: ConnectorOutput,
            **error_responses(ConnectorCapabilitiesInvalid, ConnectorConfigInvalid),
        },
        operation_id="connectors_update",
    )
    def post(self, request, connector_id: str):
        connector = _connector(request, connector_id)
        data = _validated(ConnectorUpdateInput, request)
        connector = services.connector_update(
            connector_id=connector.pk, actor=Actor.from_request(request), **data
        )
        return Response(connector_to_dict(connector))

    @extend_schema(
        responses={
            200: DeletedConnectorOutput,
            **error_responses(),
        },
        operation_id="connectors_delete",
    )
    def delete(self, request, connector_id: str):
        connector = _connector(request, connector_id)
        deleted, connector = services.connector_delete(
            connector_id=connector.pk, actor=Actor.from_request(request)
        )
        return Response(
            {"id": connector.public_id, "object": "connector", "deleted": deleted,
             "status": "deleted" if deleted else connector.status}
        )  # fmt: skip


class ConnectorTestView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        request=None,
        responses={200: ConnectorTestResultOutput, **error_responses(ConnectorTestRateLimited)},
        operation_id="connectors_test",
    )
    def post(self, request, connector_id: str):
        connector = _connector(request, connector_id)
        return Response(services.connector_test(connector_id=connector.pk, actor=Actor.from_request(request)))


class ConnectorLogsView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, required=False)],
        responses={200: list_of(ConnectorCallLogEntryOutput), **error_responses()},
        operation_id="connectors_logs",
    )
    def get(self, request, connector_id: str):
        connector = _connector(request, connector_id)
        raw = request.query_params.get("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= observe.LOG_SIZE:
            raise ParameterInvalid(f"limit must be an integer from 1 to {observe.LOG_SIZE}.", param="limit")
        rows = observe.call_log(connector.public_id, limit=int(raw))
        return Response(
            {
                "object": "list",
                "data": rows,
                "has_more": False,
                "url": f"/v1/connectors/{connector.public_id}/logs",
            }
        )


class ConnectorRotateView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        request=ConnectorRotateInput,
        responses={200: ConnectorOutput, **error_responses(ConnectorCredentialsInvalid)},
        operation_id="connectors_rotate_credentials",
    )
    def post(self, request, connector_id: str):
        connector = _connector(request, connector_id)
        data = _validated(ConnectorRotateInput, request)
        connector = services.connector_rotate_credentials(
            connector_id=connector.pk, credentials=data["credentials"], actor=Actor.from_request(request)
        )
        return Response(connector_to_dict(connector))


class ConnectorCompleteRotationView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        request=None,
        responses={200: ConnectorOutput, **error_responses(ConnectorNoRotation)},
        operation_id="connectors_complete_rotation",
    )
    def post(self, request, connector_id: str):
        connector = _connector(request, connector_id)
        connector = services.connector_complete_rotation(
            connector_id=connector.pk, actor=Actor.from_request(request)
        )
        return Response(connector_to_dict(connector))


class ConnectorRunSettlementView(MerchantAPIView):
    """Fetches the provider's settlement report of a day and hands it to the reconciliation sync."""

    resource = "connectors"

    @extend_schema(
        request=SettlementRunInput,
        responses={
            200: inline_serializer(
                "ConnectorSettlementRun",
                fields={
                    "connector": serializers.CharField(),
                    "date": serializers.CharField(),
                    "lines": serializers.IntegerField(),
                    "handed_over": serializers.BooleanField(),
                },
            ),
            **error_responses(),
        },
        operation_id="connectors_run_settlement",
    )
    def post(self, request, connector_id: str):
        connector = _connector(request, connector_id)
        data = _validated(SettlementRunInput, request)
        day = data.get("date") or (timezone.now().date() - timedelta(days=1))
        return Response(
            settlement.run_settlement(connector=connector, date=day, actor=Actor.from_request(request))
        )
