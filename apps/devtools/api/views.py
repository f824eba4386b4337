from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.checks import is_production
from apps.core.rest import MerchantAPIView, StrictSerializer
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
from apps.devtools.outputs import FaucetCardListOutput, SimulationOutput
from apps.devtools.payloads import simulation_to_dict
from apps.devtools.services.faucet import faucet_cards, faucet_token_create, faucet_wallets
from apps.vault.outputs import TokenOutput
from apps.vault.payloads import token_to_dict

from .serializers import SimulateInput


class TestHelperAPIView(MerchantAPIView):
    """Test helpers exist for test-mode keys only, and not at all in production: anyone else
    gets the answer of a path that does not exist (checked before idempotency is looked at)."""

    __test__ = False
    resource = "test_helpers"

    def check_permissions(self, request):
        # Before the scope check: a live restricted key learns nothing more than a live secret key.
        if is_production() or (getattr(request, "api_key", None) is not None and request.livemode):
            raise TestHelpersUnavailable(method=request.method, path=request.path)
        super().check_permissions(request)


class SimulateView(TestHelperAPIView):
    @extend_schema(
        request=SimulateInput,
        responses={
            200: SimulationOutput,
            202: SimulationOutput,
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
        responses={200: SimulationOutput, **error_responses(TestHelpersUnavailable)},
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


class FaucetInput(StrictSerializer):
    card = serializers.CharField(max_length=64, required=False, default="succeeds")
    wallet = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class FaucetView(TestHelperAPIView):
    """Test cards (GET) and single-use test tokens for them (POST)."""

    @extend_schema(
        responses={200: FaucetCardListOutput, **error_responses(TestHelpersUnavailable)},
        operation_id="test_helpers_faucet_cards",
    )
    def get(self, request):
        cards = faucet_cards()
        return Response(
            {
                "object": "list",
                "url": request.path,
                "has_more": False,
                "data": cards,
                "wallets": faucet_wallets(),
            }
        )

    @extend_schema(
        request=FaucetInput,
        responses={200: TokenOutput, **error_responses(TestHelpersUnavailable, SimulationParameterInvalid)},
        operation_id="test_helpers_faucet_token",
    )
    def post(self, request):
        serializer = FaucetInput(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        token = faucet_token_create(
            merchant=request.merchant,
            actor=Actor.from_request(request),
            card=serializer.validated_data["card"],
            wallet=serializer.validated_data["wallet"],
        )
        return Response(token_to_dict(token))
