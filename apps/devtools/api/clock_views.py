"""`/v1/test_helpers/test_clocks` (Stripe's shape): create, list, retrieve, delete, advance."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.rest import StrictSerializer, UnixTimestampField, stripe_list
from apps.core.schema import error_responses, list_of
from apps.core.selectors import tenant_get
from apps.devtools.errors import (
    TestClockExists,
    TestClockNotReady,
    TestClockTimeInvalid,
    TestHelpersUnavailable,
)
from apps.devtools.models import TestClock
from apps.devtools.outputs import DeletedTestClockOutput, TestClockOutput
from apps.devtools.payloads import test_clock_to_dict
from apps.devtools.services.clocks import test_clock_advance, test_clock_create, test_clock_delete

from .views import TestHelperAPIView


class TestClockCreateInput(StrictSerializer):
    frozen_time = UnixTimestampField()
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TestClockAdvanceInput(StrictSerializer):
    frozen_time = UnixTimestampField()


def _clock(request, clock_id: str) -> TestClock:
    return tenant_get(
        TestClock.objects.filter(deleted_at__isnull=True).select_related("merchant"),
        merchant=request.merchant,
        livemode=request.livemode,
        id=clock_id,
        resource="test_clock",
    )


class TestClockListView(TestHelperAPIView):
    @extend_schema(
        responses={200: list_of(TestClockOutput), **error_responses(TestHelpersUnavailable)},
        operation_id="test_helpers_test_clocks_list",
    )
    def get(self, request):
        qs = TestClock.objects.filter(
            merchant=request.merchant, livemode=request.livemode, deleted_at__isnull=True
        )
        return stripe_list(request, qs, test_clock_to_dict, url="/v1/test_helpers/test_clocks")

    @extend_schema(
        request=TestClockCreateInput,
        responses={200: TestClockOutput, **error_responses(TestHelpersUnavailable, TestClockExists)},
        operation_id="test_helpers_test_clocks_create",
        description="A sandbox clock for this account's test-mode objects created from now on (one per "
        "account). Advancing it fires what would have happened meanwhile.",
    )
    def post(self, request):
        serializer = TestClockCreateInput(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        clock = test_clock_create(
            merchant=request.merchant,
            livemode=request.livemode,
            frozen_time=serializer.validated_data["frozen_time"],
            name=serializer.validated_data["name"],
            actor=Actor.from_request(request),
        )
        return Response(test_clock_to_dict(clock))


class TestClockDetailView(TestHelperAPIView):
    @extend_schema(
        responses={200: TestClockOutput, **error_responses(TestHelpersUnavailable)},
        operation_id="test_helpers_test_clocks_retrieve",
    )
    def get(self, request, clock_id: str):
        return Response(test_clock_to_dict(_clock(request, clock_id)))

    @extend_schema(
        responses={200: DeletedTestClockOutput, **error_responses(TestHelpersUnavailable)},
        operation_id="test_helpers_test_clocks_delete",
    )
    def delete(self, request, clock_id: str):
        clock = test_clock_delete(clock_=_clock(request, clock_id), actor=Actor.from_request(request))
        return Response({"id": clock.public_id, "object": "test_helpers.test_clock", "deleted": True})


class TestClockAdvanceView(TestHelperAPIView):
    @extend_schema(
        request=TestClockAdvanceInput,
        responses={
            200: TestClockOutput,
            **error_responses(TestHelpersUnavailable, TestClockNotReady, TestClockTimeInvalid),
        },
        operation_id="test_helpers_test_clocks_advance",
        description="Moves the clock to frozen_time; a job then fires what happened meanwhile "
        "(status advancing, then ready, with test_helpers.test_clock.* events).",
    )
    def post(self, request, clock_id: str):
        serializer = TestClockAdvanceInput(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        clock = test_clock_advance(
            clock_=_clock(request, clock_id),
            frozen_time=serializer.validated_data["frozen_time"],
            actor=Actor.from_request(request),
        )
        return Response(test_clock_to_dict(clock))
