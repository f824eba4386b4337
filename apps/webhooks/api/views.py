"""Thin views: parse → selector/service → representation."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.services import Actor
from apps.core.context import get_client_ip
from apps.core.parsers import raw_request_check
from apps.core.rest import MerchantAPIView, created_filter, list_param, stripe_list
from apps.core.schema import error_responses, list_of
from apps.webhooks import selectors, services
from apps.webhooks.errors import (
    EventTypeFilterInvalid,
    InboundWebhookInProgress,
    InboundWebhookInvalidPayload,
    InboundWebhookLivemodeMismatch,
    InboundWebhookProcessingFailed,
    InboundWebhookSignatureExpired,
    InboundWebhookSignatureInvalid,
    InboundWebhookSignatureMissing,
    WebhookApiVersionUnknown,
    WebhookEndpointDisabled,
    WebhookEventTypeInvalid,
    WebhookUrlInvalid,
    WebhookUrlNotAllowed,
    WebhookUrlUnresolvable,
)
from apps.webhooks.payloads import event_payload, webhook_delivery_payload, webhook_endpoint_payload

from .serializers import (
    WebhookDeliveryOutput,
    WebhookEndpointCreateInput,
    WebhookEndpointDeletedOutput,
    WebhookEndpointOutput,
    WebhookEndpointTestInput,
    WebhookEndpointUpdateInput,
    WebhookEventOutput,
    WebhookRetryFailedInput,
    WebhookRetryFailedOutput,
    WebhookRotateSecretInput,
)

_URL_ERRORS = (WebhookUrlInvalid, WebhookUrlUnresolvable, WebhookUrlNotAllowed)


class EventListView(MerchantAPIView):
    resource = "events"

    @extend_schema(
        operation_id="events_list",
        summary="List events (newest first; kept 30 days)",
        parameters=[
            OpenApiParameter(
                "type", str, description="Exact type, or a prefix wildcard like payment_intent.*"
            ),
            OpenApiParameter(
                "types[]",
                {"type": "array", "items": {"type": "string"}},
                description="Any of these types (`types[0]=a&types[1]=b`)",
            ),
            OpenApiParameter("created[gte]", int),
            OpenApiParameter("created[lte]", int),
            OpenApiParameter("limit", int),
            OpenApiParameter("starting_after", str),
            OpenApiParameter("ending_before", str),
        ],
        responses={200: list_of(WebhookEventOutput), **error_responses(EventTypeFilterInvalid)},
    )
    def get(self, request):
        qs = selectors.event_list(
            merchant=request.merchant,
            livemode=request.livemode,
            type=request.query_params.get("type"),
            types=list_param(request, "types"),
        )
        return stripe_list(request, created_filter(qs, request), event_payload)


class EventDetailView(MerchantAPIView):
    resource = "events"

    @extend_schema(operation_id="events_retrieve", responses={200: WebhookEventOutput, **error_responses()})
    def get(self, request, event_id: str):
        return Response(
            event_payload(
                selectors.event_get(merchant=request.merchant, livemode=request.livemode, id=event_id)
            )
        )


class EndpointListView(MerchantAPIView):
    resource = "webhook_endpoints"

    @extend_schema(
        operation_id="webhook_endpoints_list",
        responses={200: list_of(WebhookEndpointOutput), **error_responses()},
    )
    def get(self, request):
        return stripe_list(
            request,
            selectors.endpoint_list(merchant=request.merchant, livemode=request.livemode),
            webhook_endpoint_payload,
        )

    @extend_schema(
        operation_id="webhook_endpoints_create",
        request=WebhookEndpointCreateInput,
        responses={
            200: WebhookEndpointOutput,
            **error_responses(*_URL_ERRORS, WebhookEventTypeInvalid, WebhookApiVersionUnknown),
        },
        summary="Create a webhook endpoint (its signing secret is shown once)",
    )
    def post(self, request):
        data = WebhookEndpointCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        endpoint, secret = services.webhook_endpoint_create(
            merchant=request.merchant,
            livemode=request.livemode,
            url=v["url"],
            enabled_events=v["enabled_events"],
            description=v.get("description", ""),
            api_version=v.get("api_version"),
            metadata=v.get("metadata"),
            actor=Actor.from_request(request),
        )
        response = Response(webhook_endpoint_payload(endpoint, secret=secret), status=status.HTTP_200_OK)
        response.idempotent_redact = ("secret",)
        return response


class EndpointDetailView(MerchantAPIView):
    resource = "webhook_endpoints"

    def _get(self, request, endpoint_id):
        return selectors.endpoint_get(merchant=request.merchant, livemode=request.livemode, id=endpoint_id)

    @extend_schema(
        operation_id="webhook_endpoints_retrieve", responses={200: WebhookEndpointOutput, **error_responses()}
    )
    def get(self, request, endpoint_id: str):
        return Response(webhook_endpoint_payload(self._get(request, endpoint_id)))

    @extend_schema(
        operation_id="webhook_endpoints_update",
        request=WebhookEndpointUpdateInput,
        responses={200: WebhookEndpointOutput, **error_responses(*_URL_ERRORS, WebhookEventTypeInvalid)},
    )
    def post(self, request, endpoint_id: str):
        endpoint = self._get(request, endpoint_id)
        data = WebhookEndpointUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint_id=endpoint.pk, actor=Actor.from_request(request), **data.validated_data
        )
        return Response(webhook_endpoint_payload(endpoint))

    @extend_schema(
        operation_id="webhook_endpoints_delete",
        responses={200: WebhookEndpointDeletedOutput, **error_responses()},
    )
    def delete(self, request, endpoint_id: str):
        endpoint = self._get(request, endpoint_id)
        services.webhook_endpoint_delete(endpoint_id=endpoint.pk, actor=Actor.from_request(request))
        return Response({"id": endpoint.public_id, "object": "webhook_endpoint", "deleted": True})


class EndpointRotateSecretView(MerchantAPIView):
    resource = "webhook_endpoints"

    @extend_schema(
        operation_id="webhook_endpoints_rotate_secret",
        request=WebhookRotateSecretInput,
        responses={200: WebhookEndpointOutput, **error_responses()},
        summary="New signing secret (shown once); the old one keeps signing for the grace period",
    )
    def post(self, request, endpoint_id: str):
        endpoint = selectors.endpoint_get(
            merchant=request.merchant, livemode=request.livemode, id=endpoint_id
        )
        data = WebhookRotateSecretInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_rotate_secret(
            endpoint_id=endpoint.pk,
            actor=Actor.from_request(request),
            previous_secret_expires_in=data.validated_data["previous_secret_expires_in"],
        )
        response = Response(webhook_endpoint_payload(endpoint, secret=secret))
        response.idempotent_redact = ("secret",)
        return response


class EndpointTestView(MerchantAPIView):
    resource = "webhook_endpoints"

    @extend_schema(
        operation_id="webhook_endpoints_test",
        request=WebhookEndpointTestInput,
        responses={200: WebhookDeliveryOutput, **error_responses(WebhookEndpointDisabled)},
        summary="Send a signed webhook_endpoint.test event to this endpoint",
    )
    def post(self, request, endpoint_id: str):
        endpoint = selectors.endpoint_get(
            merchant=request.merchant, livemode=request.livemode, id=endpoint_id
        )
        WebhookEndpointTestInput(data=request.data).is_valid(raise_exception=True)
        delivery = services.webhook_endpoint_send_test(
            endpoint_id=endpoint.pk, actor=Actor.from_request(request)
        )
        return Response(webhook_delivery_payload(delivery))


class RetryFailedView(MerchantAPIView):
    resource = "webhook_endpoints"

    @extend_schema(
        operation_id="webhook_endpoints_retry_failed",
        request=WebhookRetryFailedInput,
        responses={200: WebhookRetryFailedOutput, **error_responses()},
        summary="Re-drive failed deliveries (optionally of one endpoint) with a fresh retry schedule",
    )
    def post(self, request):
        data = WebhookRetryFailedInput(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.deliveries_retry_failed(
            merchant=request.merchant,
            livemode=request.livemode,
            actor=Actor.from_request(request),
            endpoint_id=data.validated_data.get("webhook_endpoint"),
        )
        return Response({"object": "retry_result", "retried": count})


def _gateway_errors() -> dict:
    # Provider callbacks carry no API key and are not rate limited, so the key, scope and rate
    # errors of merchant endpoints (401, 403, 429) cannot happen here.
    responses = error_responses(
        InboundWebhookSignatureMissing,
        InboundWebhookSignatureInvalid,
        InboundWebhookSignatureExpired,
        InboundWebhookInvalidPayload,
        InboundWebhookLivemodeMismatch,
        InboundWebhookInProgress,
        InboundWebhookProcessingFailed,
    )
    return {status: response for status, response in responses.items() if status not in (401, 403, 429)}


class GatewayWebhookView(APIView):
    """Provider callbacks: no API key; the connector's adapter verifies the provider's signature."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="gateway_webhook_receive",
        request=None,
        responses={
            200: OpenApiResponse(description="Received (processed, ignored or a duplicate)"),
            **_gateway_errors(),
        },
        auth=[],
    )
    def post(self, request, connector_id: str):
        headers = dict(request.headers)
        raw_request_check(request.body, headers)
        outcome = services.inbound_webhook_receive(
            connector_ref=connector_id,
            body=request.body,
            headers=headers,
            remote_ip=get_client_ip() or request.META.get("REMOTE_ADDR"),
        )
        return Response(
            {
                "received": True,
                "duplicate": outcome.duplicate,
                "status": outcome.webhook.status,
                "event_id": outcome.webhook.provider_event_id,
            }
        )


class GatewayReturnView(APIView):
    """The customer's browser back from a provider's hosted page (ZainCash, Telr, PayTabs…),
    carrying the provider's signed answer in the query string (GET) or, for providers that send
    the browser back with a form POST (PayTabs), in the form body. It takes the inbound callback
    path (stored raw, verified by the connector's adapter, deduplicated, applied), then sends the
    customer on to the payment's ``return_url`` with Stripe's ``redirect_status``."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="gateway_return",
        request=None,
        responses={
            200: OpenApiResponse(description="Received; the payment named no return_url"),
            302: OpenApiResponse(description="Received; the customer continues to the payment's return_url"),
            **_gateway_errors(),
        },
        auth=[],
    )
    def get(self, request, connector_id: str):
        query = request.META.get("QUERY_STRING", "").encode("latin-1", "replace")
        return self._receive(request, connector_id, query)

    @extend_schema(
        operation_id="gateway_return_post",
        request=None,
        responses={
            200: OpenApiResponse(description="Received; the payment named no return_url"),
            302: OpenApiResponse(description="Received; the customer continues to the payment's return_url"),
            **_gateway_errors(),
        },
        auth=[],
    )
    def post(self, request, connector_id: str):
        # The form body, exactly as the browser sent it (the adapter verifies its signature).
        return self._receive(request, connector_id, request.body)

    def _receive(self, request, connector_id: str, body: bytes):
        from django.http import HttpResponseRedirect

        from apps.connectors.returns import customer_return_url

        headers = dict(request.headers)
        raw_request_check(body, headers)
        outcome = services.inbound_webhook_receive(
            connector_ref=connector_id,
            body=body,
            headers=headers,
            remote_ip=get_client_ip() or request.META.get("REMOTE_ADDR"),
        )
        row = outcome.webhook
        target = customer_return_url(row.connector_id, row.gateway_reference or "")
        if target:
            return HttpResponseRedirect(target)
        return Response({"received": True, "duplicate": outcome.duplicate, "status": row.status})
