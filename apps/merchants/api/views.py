from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.errors import (
    InvalidRequestError,
    ParameterInvalid,
    ParameterInvalidInteger,
    ParameterMissing,
    ParameterUnknown,
    PreconditionFailed,
)
from apps.core.limits import ascii_int
from apps.core.rest import MerchantAPIView, stripe_list
from apps.core.schema import error_responses, list_of
from apps.merchants import selectors, services
from apps.merchants.errors import ApiKeyAlreadyRevoked
from apps.merchants.payloads import api_key_payload, merchant_payload, merchant_settings_payload

from .serializers import (
    AccountOutput,
    ApiKeyCreateInput,
    ApiKeyOutput,
    RevokeInput,
    SettingsOutput,
    SettingsPatchInput,
)


def _etag(version: int) -> str:
    return f'"v{version}"'


def _parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    version = ascii_int(raw[1:], minimum=0) if raw.startswith("v") else None
    if version is None:
        raise InvalidRequestError("If-Match must be an ETag returned by GET /v1/settings.", param="If-Match")
    return version


class AccountView(MerchantAPIView):
    resource = "settings"

    @extend_schema(
        operation_id="account_retrieve",
        responses={200: AccountOutput, **error_responses()},
        summary="The merchant account this key belongs to",
    )
    def get(self, request):
        return Response(merchant_payload(request.merchant))


class SettingsView(MerchantAPIView):
    resource = "settings"

    @extend_schema(
        operation_id="settings_retrieve",
        responses={200: SettingsOutput, **error_responses()},
        summary="Read merchant settings",
    )
    def get(self, request):
        current = selectors.merchant_settings_get(request.merchant)
        return Response(merchant_settings_payload(current), headers={"ETag": _etag(current.version)})

    @extend_schema(
        operation_id="settings_update",
        request=SettingsPatchInput,
        responses={
            200: SettingsOutput,
            **error_responses(InvalidRequestError, ParameterInvalidInteger, PreconditionFailed),
        },
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="ETag from GET; a stale one answers 412",
            )
        ],
        summary="Change merchant settings (optimistic concurrency with If-Match)",
    )
    def patch(self, request):
        expected = _parse_if_match(request.headers.get("If-Match"))
        data = SettingsPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = services.merchant_settings_update(
            merchant=request.merchant,
            changes=dict(data.validated_data),
            actor=Actor.from_request(request),
            expected_version=expected,
        )
        return Response(merchant_settings_payload(updated), headers={"ETag": _etag(updated.version)})


class ApiKeyListView(MerchantAPIView):
    resource = "api_keys"

    @extend_schema(
        operation_id="api_keys_list",
        responses={
            200: list_of(ApiKeyOutput),
            **error_responses(ParameterInvalid, ParameterInvalidInteger),
        },
        summary="List API keys",
    )
    def get(self, request):
        return stripe_list(
            request,
            selectors.api_key_list(merchant=request.merchant, livemode=request.livemode),
            api_key_payload,
        )

    @extend_schema(
        operation_id="api_keys_create",
        request=ApiKeyCreateInput,
        responses={
            200: ApiKeyOutput,
            **error_responses(InvalidRequestError, ParameterMissing, ParameterInvalid, ParameterUnknown),
        },
        summary="Create an API key (its secret is shown once)",
    )
    def post(self, request):
        data = ApiKeyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        key, plaintext = services.api_key_create(
            merchant=request.merchant,
            kind=v["type"],
            livemode=request.livemode,
            actor=Actor.from_request(request),
            name=v.get("name", ""),
            scopes=v.get("scopes"),
            expires_at=v.get("expires_at"),
        )
        response = Response(api_key_payload(key, plaintext), status=status.HTTP_200_OK)
        response.idempotent_redact = ("secret",)
        return response


class ApiKeyDetailView(MerchantAPIView):
    resource = "api_keys"

    @extend_schema(
        operation_id="api_keys_retrieve",
        responses={200: ApiKeyOutput, **error_responses()},
        summary="Retrieve an API key",
    )
    def get(self, request, key_id: str):
        return Response(
            api_key_payload(
                selectors.api_key_get(merchant=request.merchant, livemode=request.livemode, id=key_id)
            )
        )


class ApiKeyRevokeView(MerchantAPIView):
    resource = "api_keys"

    @extend_schema(
        operation_id="api_keys_revoke",
        request=RevokeInput,
        responses={200: ApiKeyOutput, **error_responses(ApiKeyAlreadyRevoked)},
        summary="Revoke an API key",
    )
    def post(self, request, key_id: str):
        data = RevokeInput(data=request.data)
        data.is_valid(raise_exception=True)
        selectors.api_key_get(merchant=request.merchant, livemode=request.livemode, id=key_id)
        key = services.api_key_revoke(
            merchant=request.merchant,
            key_id=key_id,
            actor=Actor.from_request(request),
            reason=data.validated_data["reason"],
        )
        return Response(api_key_payload(key))
