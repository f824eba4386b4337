from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.checks import is_production
from apps.core.rest import MerchantAPIView
from apps.core.schema import error_responses
from apps.core.selectors import tenant_get
from apps.devtools import services
from apps.devtools.errors import (
    SimulationNotApplicable,
    SimulationObjectInvalid,
    SimulationParameterInvalid,
    SimulationTypeUnknown,
    TestHelpersUnavailable,
)
from apps.devtools.models import Simulation
from apps.devtools.payloads import simulation_to_dict

from .serializers import SimulateInput

SIMULATION = inline_serializer(
    "TestHelperSimulation",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "type": serializers.CharField(),
        "target": serializers.CharField(),
        "status": serializers.CharField(),
        "result": serializers.CharField(allow_null=True),
    },
)


class TestHelperAPIView(MerchantAPIView):
    """Test helpers exist for test-mode keys only, and not at all in production: anyone else
    gets the answer of a path that does not exist (checked before idempotency is looked at)."""

    __test__ = False
    resource = "test_helpers"

    def check_permissions(self, request):
        super().check_permissions(request)
        if getattr(request, "livemode", True) or is_production():
            raise TestHelpersUnavailable(method=request.method, path=request.path)


class SimulateView(TestHelperAPIView):
    @extend_schema(
        request=SimulateInput,
        responses={
            200: SIMULATION,
            202: SIMULATION,
            **error_responses(
                TestHelpersUnavailable,
                SimulationTypeUnknown,
                SimulationObjectInvalid,
                SimulationNotApplicable,
                SimulationParameterInvalid,
            ),
        },
        operation_id="test_helpers_simulate",
        description="Simulates what the acquirer or the card network does (test mode only). "
        "The event goes through the same inbound path as a connector callback.",
    )
    def post(self, request):
        serializer = SimulateInput(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kind, target, delay = data.pop("type"), data.pop("object"), data.pop("delay_ms")
        sim = services.simulation_create(
            merchant=request.merchant,
            livemode=request.livemode,
            type=kind,
            object_id=target,
            params=data,
            delay_ms=delay,
            actor=Actor.from_request(request),
        )
        code = status.HTTP_202_ACCEPTED if sim.status == Simulation.Status.SCHEDULED else status.HTTP_200_OK
        return Response(simulation_to_dict(sim), status=code)


class SimulationDetailView(TestHelperAPIView):
    @extend_schema(
        responses={200: SIMULATION, **error_responses(TestHelpersUnavailable)},
        operation_id="test_helpers_simulation_retrieve",
    )
    def get(self, request, simulation_id: str):
        sim = tenant_get(
            Simulation.objects.all(),
            merchant=request.merchant,
            livemode=request.livemode,
            id=simulation_id,
            resource="simulation",
        )
        return Response(simulation_to_dict(sim))
