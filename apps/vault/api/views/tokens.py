"""Card tokens: /v1/tokens create and retrieve."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.context import get_client_ip
from apps.core.rest import MerchantAPIView
from apps.core.schema import error_responses
from apps.vault import selectors, services
from apps.vault.errors import CARD_VALIDATION_ERRORS
from apps.vault.payloads import token_to_dict

from ..serializers import TokenCreateInput, TokenOutput
from .common import validated


class TokenCreateView(MerchantAPIView):
    """The one vault endpoint a publishable key may call."""

    resource = "tokens"
    allow_publishable = {"POST"}

    @extend_schema(
        operation_id="tokens_create",
        summary="Tokenize a card (publishable key allowed): a single-use tok_… valid 15 minutes",
        request=TokenCreateInput,
        responses={200: TokenOutput, **error_responses(*CARD_VALIDATION_ERRORS)},
    )
    def post(self, request):
        data = validated(TokenCreateInput, request)
        card = data["card"]
        address = {
            "line1": card.get("address_line1"),
            "line2": card.get("address_line2"),
            "city": card.get("address_city"),
            "state": card.get("address_state"),
            "postal_code": card.get("address_zip"),
            "country": (card.get("address_country") or "").upper() or None,
        }
        billing = {}
        if card.get("name"):
            billing["name"] = card["name"]
        if any(address.values()):
            billing["address"] = {k: v for k, v in address.items() if v}
        token = services.token_create(
            merchant=request.merchant,
            livemode=request.livemode,
            number=card["number"],
            exp_month=card["exp_month"],
            exp_year=card["exp_year"],
            cvc=card.get("cvc"),
            billing_details=billing,
            actor=Actor.from_request(request),
            client_ip=get_client_ip() or None,
        )
        return Response(token_to_dict(token), status=status.HTTP_200_OK)


class TokenDetailView(MerchantAPIView):
    resource = "tokens"

    @extend_schema(
        operation_id="tokens_retrieve",
        summary="Retrieve a token (secret key)",
        responses={200: TokenOutput, **error_responses()},
    )
    def get(self, request, token_id: str):
        token = selectors.token_get(
            merchant=request.merchant, livemode=request.livemode, id=token_id, param="id"
        )
        return Response(token_to_dict(token))
