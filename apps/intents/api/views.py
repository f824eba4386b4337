"""Thin views: parse → service/selector → representation."""

from __future__ import annotations

import hmac

from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.connectors.sandbox.cards import TEST_CARDS
from apps.core.errors import NotFoundError, ParameterInvalid, ParameterMissing, ParameterUnknown
from apps.core.rest import MerchantAPIView, created_filter, stripe_list, stripe_search
from apps.core.schema import error_responses, list_of, search_result_of
from apps.core.search import SearchField
from apps.intents import hooks, selectors, services
from apps.intents.errors import (
    AmountAboveMaximum,
    AmountNotPositive,
    CaptureAmountNotPositive,
    CaptureAmountTooLarge,
    CaptureFailed,
    ChargeExpiredForCapture,
    ClientSecretMismatch,
    ClientSecretRequired,
    CustomerMissing,
    MetadataFilterUnknown,
    OperationConnectorUnavailable,
    PaymentConnectorUnavailable,
    PaymentDeclined,
    PaymentIntentAuthenticationFailure,
    PaymentIntentUnexpectedState,
    PaymentMethodCustomerMismatch,
    PaymentMethodDataIncompatible,
    PaymentMethodDeleted,
    PaymentMethodIncompatible,
    PaymentMethodMissing,
    PaymentMethodRequired,
    PaymentMethodTokenConsumed,
    PaymentMethodTypeInvalid,
    ReturnUrlRequired,
    StatusFilterInvalid,
    VoidFailed,
)
from apps.intents.models import PaymentIntent
from apps.intents.outputs import (
    ChargeOutput,
    PaymentIntentClientOutput,
    PaymentIntentNextActionOutput,
    PaymentIntentOutput,
    TestCardOutput,
)
from apps.intents.payloads import (
    charge_to_dict,
    next_action_to_dict,
    payment_intent_public_dict,
    payment_intent_to_dict,
)
from apps.merchants.models import ApiKey

from .serializers import (
    PaymentIntentCancelInput,
    PaymentIntentCaptureInput,
    PaymentIntentConfirmInput,
    PaymentIntentCreateInput,
    PaymentIntentUpdateInput,
    ThreeDSCompleteInput,
)

# The intent as a secret key sees it, or as a publishable key holding the client secret does.
AS_KEY_SEES_IT = PolymorphicProxySerializer(
    component_name="PaymentIntentForKey",
    serializers=[PaymentIntentOutput, PaymentIntentClientOutput],
    resource_type_field_name=None,
)
# The errors each endpoint may answer with (apps.core.schema lists their codes per status).
CLIENT_SECRET_ERRORS = (ClientSecretRequired, ClientSecretMismatch)
PAYMENT_METHOD_ERRORS = (
    PaymentMethodMissing,
    PaymentMethodDeleted,
    PaymentMethodTokenConsumed,
    PaymentMethodIncompatible,
    PaymentMethodDataIncompatible,
    PaymentMethodCustomerMismatch,
    PaymentMethodTypeInvalid,
    CustomerMissing,
)
AMOUNT_ERRORS = (AmountNotPositive, AmountAboveMaximum)
ATTEMPT_ERRORS = (PaymentMethodRequired, ReturnUrlRequired, PaymentDeclined, PaymentConnectorUnavailable)
LIST_PARAMS = [
    OpenApiParameter("limit", int, required=False),
    OpenApiParameter("starting_after", str, required=False),
    OpenApiParameter("ending_before", str, required=False),
]


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _is_publishable(request) -> bool:
    key = getattr(request, "api_key", None)
    return key is not None and key.kind == ApiKey.Kind.PUBLISHABLE


def _intent_for(request, intent_id: str, *, client_secret: str | None = None) -> PaymentIntent:
    intent = selectors.payment_intent_get(merchant=request.merchant, livemode=request.livemode, id=intent_id)
    if _is_publishable(request):
        if not client_secret:
            raise ClientSecretRequired()
        if not hmac.compare_digest(client_secret, intent.client_secret):
            raise ClientSecretMismatch()
    return intent


def _render(request, intent: PaymentIntent, *, status_code=status.HTTP_200_OK) -> Response:
    body = payment_intent_public_dict(intent) if _is_publishable(request) else payment_intent_to_dict(intent)
    return Response(body, status=status_code)


class PaymentIntentListCreateView(MerchantAPIView):
    resource = "payment_intents"

    @extend_schema(
        request=PaymentIntentCreateInput,
        responses={
            200: PaymentIntentOutput,
            **error_responses(*AMOUNT_ERRORS, *PAYMENT_METHOD_ERRORS, *ATTEMPT_ERRORS),
        },
        operation_id="payment_intents_create",
    )
    def post(self, request):
        data = _validated(PaymentIntentCreateInput, request)
        data = services.payment_method_from_token_params(
            merchant=request.merchant,
            livemode=request.livemode,
            params=data,
            actor=Actor.from_request(request),
        )
        intent = services.payment_intent_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        return _render(request, intent)

    @extend_schema(
        parameters=[
            *LIST_PARAMS,
            OpenApiParameter("customer", str, required=False),
            OpenApiParameter("status", str, required=False),
            OpenApiParameter("metadata[order_id]", str, required=False),
            OpenApiParameter("created[gte]", int, required=False),
            OpenApiParameter("created[lte]", int, required=False),
        ],
        responses={
            200: list_of(PaymentIntentOutput),
            **error_responses(StatusFilterInvalid, MetadataFilterUnknown),
        },
        operation_id="payment_intents_list",
    )
    def get(self, request):
        params = request.query_params
        status_filter = params.get("status")
        if status_filter and status_filter not in PaymentIntent.Status.values:
            raise StatusFilterInvalid(value=status_filter)
        for key in params:
            if key.startswith("metadata[") and key != "metadata[order_id]":
                raise MetadataFilterUnknown(param=key)
        qs = selectors.payment_intent_list(
            merchant=request.merchant,
            livemode=request.livemode,
            filters={
                "customer": params.get("customer"),
                "status": status_filter,
                "order_id": params.get("metadata[order_id]"),
            },
        )
        qs = created_filter(qs, request)
        return stripe_list(request, qs, payment_intent_to_dict, url="/v1/payment_intents")


PAYMENT_INTENT_SEARCH_FIELDS = {
    "amount": SearchField("amount", kind="number"),
    "currency": SearchField("currency", upper=True, substring=False),
    "customer": SearchField("customer__public_id", substring=False),
    "status": SearchField("status", substring=False),
    "created": SearchField("created_at", kind="timestamp"),
    "description": SearchField("description"),
    "metadata": SearchField("metadata", kind="metadata"),
}


class PaymentIntentSearchView(MerchantAPIView):
    resource = "payment_intents"

    @extend_schema(
        operation_id="payment_intents_search",
        summary="Search payment intents (Stripe's search query language)",
        description="`query=status:'succeeded' AND amount>1000 AND metadata['order_id']:'42'`; fields: "
        "amount, currency, customer, status, created, description, metadata['key']. Newest first; "
        "`page` takes the previous result's `next_page`.",
        parameters=[
            OpenApiParameter("query", str, required=True),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("page", str, required=False),
        ],
        responses={
            200: search_result_of(PaymentIntentOutput),
            **error_responses(ParameterInvalid, ParameterMissing),
        },
    )
    def get(self, request):
        qs = selectors.payment_intent_list(merchant=request.merchant, livemode=request.livemode)
        return stripe_search(request, qs, payment_intent_to_dict, fields=PAYMENT_INTENT_SEARCH_FIELDS)


class PaymentIntentDetailView(MerchantAPIView):
    resource = "payment_intents"
    allow_publishable = {"GET"}

    @extend_schema(
        parameters=[OpenApiParameter("client_secret", str, required=False)],
        responses={200: AS_KEY_SEES_IT, **error_responses(*CLIENT_SECRET_ERRORS)},
        operation_id="payment_intents_retrieve",
    )
    def get(self, request, intent_id: str):
        intent = _intent_for(request, intent_id, client_secret=request.query_params.get("client_secret"))
        return _render(request, intent)

    @extend_schema(
        request=PaymentIntentUpdateInput,
        responses={
            200: PaymentIntentOutput,
            **error_responses(PaymentIntentUnexpectedState, *AMOUNT_ERRORS, *PAYMENT_METHOD_ERRORS),
        },
        operation_id="payment_intents_update",
    )
    def post(self, request, intent_id: str):
        intent = _intent_for(request, intent_id)
        data = _validated(PaymentIntentUpdateInput, request)
        intent = services.payment_intent_update(
            intent_id=intent.pk, actor=Actor.from_request(request), **data
        )
        return _render(request, intent)


class PaymentIntentConfirmView(MerchantAPIView):
    resource = "payment_intents"
    allow_publishable = {"POST"}

    @extend_schema(
        request=PaymentIntentConfirmInput,
        responses={
            200: AS_KEY_SEES_IT,
            **error_responses(
                PaymentIntentUnexpectedState, *CLIENT_SECRET_ERRORS, *PAYMENT_METHOD_ERRORS, *ATTEMPT_ERRORS
            ),
        },
        operation_id="payment_intents_confirm",
    )
    def post(self, request, intent_id: str):
        data = _validated(PaymentIntentConfirmInput, request)
        if "routing" in data and _is_publishable(request):
            # which connector takes a payment is the merchant's call, not the browser's
            raise ParameterUnknown(name="routing", param="routing", stored=False)
        client_secret = data.pop("client_secret", None)
        intent = _intent_for(request, intent_id, client_secret=client_secret)
        data = services.payment_method_from_token_params(
            merchant=request.merchant,
            livemode=request.livemode,
            params=data,
            actor=Actor.from_request(request),
        )
        intent = services.payment_intent_confirm(
            intent_id=intent.pk, actor=Actor.from_request(request), **data
        )
        return _render(request, intent)


class _IntentActionView(MerchantAPIView):
    """POST /v1/payment_intents/{id}/<action>: find the intent, validate the body, call one
    service, answer the intent as it now stands."""

    resource = "payment_intents"
    input_serializer: type

    def act(self, intent: PaymentIntent, data: dict, actor: Actor) -> PaymentIntent:
        raise NotImplementedError

    def post(self, request, intent_id: str):
        intent = _intent_for(request, intent_id)
        data = _validated(self.input_serializer, request)
        return _render(request, self.act(intent, data, Actor.from_request(request)))


@extend_schema_view(
    post=extend_schema(
        request=PaymentIntentCaptureInput,
        responses={
            200: PaymentIntentOutput,
            **error_responses(
                PaymentIntentUnexpectedState,
                CaptureAmountNotPositive,
                CaptureAmountTooLarge,
                ChargeExpiredForCapture,
                CaptureFailed,
                OperationConnectorUnavailable,
            ),
        },
        operation_id="payment_intents_capture",
    )
)
class PaymentIntentCaptureView(_IntentActionView):
    input_serializer = PaymentIntentCaptureInput

    def act(self, intent, data, actor):
        return services.payment_intent_capture(
            intent_id=intent.pk,
            actor=actor,
            amount_to_capture=data.get("amount_to_capture"),
            reason=data.get("reason", ""),
        )


@extend_schema_view(
    post=extend_schema(
        request=PaymentIntentCancelInput,
        responses={
            200: PaymentIntentOutput,
            **error_responses(PaymentIntentUnexpectedState, VoidFailed, OperationConnectorUnavailable),
        },
        operation_id="payment_intents_cancel",
    )
)
class PaymentIntentCancelView(_IntentActionView):
    input_serializer = PaymentIntentCancelInput

    def act(self, intent, data, actor):
        return services.payment_intent_cancel(
            intent_id=intent.pk, actor=actor, cancellation_reason=data.get("cancellation_reason", "")
        )


@extend_schema_view(
    post=extend_schema(
        request=ThreeDSCompleteInput,
        responses={
            200: PaymentIntentOutput,
            **error_responses(
                PaymentIntentUnexpectedState,
                PaymentIntentAuthenticationFailure,
                PaymentDeclined,
                PaymentConnectorUnavailable,
            ),
        },
        operation_id="payment_intents_3ds_complete",
    )
)
class PaymentIntentThreeDSCompleteView(_IntentActionView):
    input_serializer = ThreeDSCompleteInput

    def act(self, intent, data, actor):
        return services.payment_intent_complete_action(
            intent_id=intent.pk, actor=actor, result=data["result"], reference=data.get("reference")
        )


class PaymentIntentNextActionView(MerchantAPIView):
    resource = "payment_intents"
    allow_publishable = {"GET"}

    @extend_schema(
        parameters=[OpenApiParameter("client_secret", str, required=False)],
        responses={200: PaymentIntentNextActionOutput, **error_responses(*CLIENT_SECRET_ERRORS)},
        operation_id="payment_intents_next_action",
    )
    def get(self, request, intent_id: str):
        intent = _intent_for(request, intent_id, client_secret=request.query_params.get("client_secret"))
        return Response(next_action_to_dict(intent))


class PaymentIntentChargesView(MerchantAPIView):
    resource = "payment_intents"

    @extend_schema(
        parameters=LIST_PARAMS,
        responses={200: list_of(ChargeOutput), **error_responses()},
        operation_id="payment_intents_charges",
    )
    def get(self, request, intent_id: str):
        intent = _intent_for(request, intent_id)
        qs = selectors.charge_list(
            merchant=request.merchant, livemode=request.livemode, payment_intent=intent
        )
        return stripe_list(request, qs, charge_to_dict, url=f"/v1/payment_intents/{intent.public_id}/charges",
                           prepare=hooks.prefetch_charges)  # fmt: skip


class ChargeListView(MerchantAPIView):
    resource = "charges"

    @extend_schema(
        parameters=[*LIST_PARAMS, OpenApiParameter("payment_intent", str, required=False)],
        responses={200: list_of(ChargeOutput), **error_responses()},
        operation_id="charges_list",
    )
    def get(self, request):
        intent = None
        if request.query_params.get("payment_intent"):
            intent = selectors.payment_intent_get(
                merchant=request.merchant,
                livemode=request.livemode,
                id=request.query_params["payment_intent"],
            )
        qs = selectors.charge_list(
            merchant=request.merchant, livemode=request.livemode, payment_intent=intent
        )
        qs = created_filter(qs, request)
        return stripe_list(request, qs, charge_to_dict, url="/v1/charges", prepare=hooks.prefetch_charges)


class ChargeDetailView(MerchantAPIView):
    resource = "charges"

    @extend_schema(responses={200: ChargeOutput, **error_responses()}, operation_id="charges_retrieve")
    def get(self, request, charge_id: str):
        charge = selectors.charge_get(merchant=request.merchant, livemode=request.livemode, id=charge_id)
        return Response(charge_to_dict(charge))


class TestCardListView(MerchantAPIView):
    """The sandbox acquirer's test cards and what each does. Test mode only."""

    resource = "payment_intents"
    allow_publishable = {"GET"}

    @extend_schema(
        responses={200: list_of(TestCardOutput), **error_responses()}, operation_id="test_cards_list"
    )
    def get(self, request):
        if request.livemode:
            raise NotFoundError("endpoint", "/v1/test/cards", param=None)
        return Response(
            {"object": "list", "url": "/v1/test/cards", "has_more": False,
             "data": [card.as_public_dict() for card in TEST_CARDS]}
        )  # fmt: skip
