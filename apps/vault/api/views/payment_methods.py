"""Payment methods: /v1/payment_methods create/list/retrieve/update/delete, attach, detach, verify."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.rest import MerchantAPIView, stripe_list
from apps.core.schema import error_responses
from apps.vault import selectors, services
from apps.vault.errors import (
    ATTACH_ERRORS,
    CREATE_ERRORS,
    DETACH_ERRORS,
    UPDATE_ERRORS,
    VERIFY_ERRORS,
    ParameterInvalid,
)
from apps.vault.models import PaymentMethod
from apps.vault.payloads import payment_method_deleted_dict, payment_method_to_dict

from ..serializers import (
    PaymentMethodAttachInput,
    PaymentMethodCreateInput,
    PaymentMethodDeleteInput,
    PaymentMethodDetachInput,
    PaymentMethodListOutput,
    PaymentMethodOutput,
    PaymentMethodUpdateInput,
    PaymentMethodVerifyInput,
    VaultDeletedOutput,
)
from .common import LIST_PARAMS, pm_type_param, validated


def _create_payment_method(request, data: dict) -> PaymentMethod:
    merchant, livemode = request.merchant, request.livemode
    actor = Actor.from_request(request)
    customer = None
    if data.get("customer"):
        customer = selectors.customer_get(
            merchant=merchant, livemode=livemode, id=data["customer"], param="customer"
        )
    common = {
        "merchant": merchant,
        "livemode": livemode,
        "actor": actor,
        "billing_details": data.get("billing_details") or {},
        "customer": customer,
        "metadata": data.get("metadata") or {},
        "nickname": data.get("nickname", ""),
        "allow_redisplay": data.get("allow_redisplay"),
    }
    pm_type = data["type"]
    if pm_type == "card":
        card = data.get("card") or {}
        token = data.get("token") or card.get("token")
        if token:
            param = "token" if data.get("token") else "card[token]"
            return services.payment_method_create_from_token(token=token, param=param, **common)
        return services.payment_method_create_card(
            number=card["number"],
            exp_month=card["exp_month"],
            exp_year=card["exp_year"],
            cvc=card.get("cvc"),
            **common,
        )
    if pm_type == "sepa_debit":
        return services.payment_method_create_sepa_debit(iban=data["sepa_debit"]["iban"], **common)
    if pm_type == "us_bank_account":
        bank = data["us_bank_account"]
        return services.payment_method_create_us_bank_account(
            routing_number=bank["routing_number"],
            account_number=bank["account_number"],
            account_type=bank.get("account_type", "checking"),
            account_holder_type=bank.get("account_holder_type", "individual"),
            **common,
        )
    wallet = data[pm_type]
    return services.payment_method_create_wallet(
        type=pm_type,
        token=wallet["token"],
        card_brand=wallet.get("card_brand", ""),
        dynamic_last4=wallet.get("dynamic_last4", ""),
        payer_email=wallet.get("payer_email", ""),
        **common,
    )


class PaymentMethodListCreateView(MerchantAPIView):
    resource = "payment_methods"

    @extend_schema(
        operation_id="payment_methods_list",
        summary="List payment methods",
        parameters=[
            OpenApiParameter("customer", str, required=False),
            OpenApiParameter("type", str, required=False, enum=PaymentMethod.Type.values),
            *LIST_PARAMS,
        ],
        responses={200: PaymentMethodListOutput, **error_responses(ParameterInvalid)},
    )
    def get(self, request):
        customer = None
        customer_id = request.query_params.get("customer")
        if customer_id is not None:
            customer = selectors.customer_get(
                merchant=request.merchant, livemode=request.livemode, id=customer_id, param="customer"
            )
        qs = selectors.payment_method_list(
            merchant=request.merchant,
            livemode=request.livemode,
            customer=customer,
            type=pm_type_param(request),
        )
        return stripe_list(request, qs, payment_method_to_dict)

    @extend_schema(
        operation_id="payment_methods_create",
        summary="Create (tokenize) a payment method",
        description="Cards are validated (Luhn, length per brand, expiry, CVC length), encrypted into the vault "
        "and never shown back: only brand, last4, expiry, funding, country and a fingerprint. The CVC is "
        "never stored. `token` accepts a tok_… from POST /v1/tokens. Saving to a `customer` needs "
        "`allow_redisplay` (always|limited) as the customer's consent.",
        request=PaymentMethodCreateInput,
        responses={200: PaymentMethodOutput, **error_responses(*CREATE_ERRORS)},
    )
    def post(self, request):
        data = validated(PaymentMethodCreateInput, request)
        pm = _create_payment_method(request, data)
        pm = selectors.payment_method_get(
            merchant=request.merchant, livemode=request.livemode, id=pm.public_id
        )
        return Response(payment_method_to_dict(pm))


class PaymentMethodDetailView(MerchantAPIView):
    resource = "payment_methods"

    def _get(self, request, payment_method_id: str) -> PaymentMethod:
        return selectors.payment_method_get(
            merchant=request.merchant, livemode=request.livemode, id=payment_method_id, param="id"
        )

    @extend_schema(
        operation_id="payment_methods_retrieve",
        summary="Retrieve a payment method",
        responses={200: PaymentMethodOutput, **error_responses()},
    )
    def get(self, request, payment_method_id: str):
        return Response(payment_method_to_dict(self._get(request, payment_method_id)))

    @extend_schema(
        operation_id="payment_methods_update",
        summary="Update billing details, metadata, nickname, card expiry, default flag or consent",
        request=PaymentMethodUpdateInput,
        responses={200: PaymentMethodOutput, **error_responses(*UPDATE_ERRORS)},
    )
    def post(self, request, payment_method_id: str):
        pm = self._get(request, payment_method_id)
        data = validated(PaymentMethodUpdateInput, request)
        card = data.get("card") or {}
        services.payment_method_update(
            payment_method=pm,
            actor=Actor.from_request(request),
            billing_details=data.get("billing_details"),
            metadata=data.get("metadata") if "metadata" in data else None,
            nickname=data.get("nickname"),
            exp_month=card.get("exp_month"),
            exp_year=card.get("exp_year"),
            is_default=data.get("is_default"),
            allow_redisplay=data.get("allow_redisplay"),
        )
        return Response(payment_method_to_dict(self._get(request, payment_method_id)))

    @extend_schema(
        operation_id="payment_methods_delete",
        summary="Delete a payment method (soft, audited; it can no longer be used to pay)",
        request=PaymentMethodDeleteInput,
        responses={200: VaultDeletedOutput, **error_responses()},
    )
    def delete(self, request, payment_method_id: str):
        pm = self._get(request, payment_method_id)
        data = validated(PaymentMethodDeleteInput, request)
        pm = services.payment_method_delete(
            payment_method=pm, actor=Actor.from_request(request), reason=data.get("reason", "")
        )
        return Response(payment_method_deleted_dict(pm))


def _payment_method_action(request, payment_method_id: str, input_class, act) -> Response:
    """The shape of attach / detach / verify: the payment method (404 naming `id`), the input,
    the service call `act(pm, data, actor)`, then the payment method as it now is."""
    pm = selectors.payment_method_get(
        merchant=request.merchant, livemode=request.livemode, id=payment_method_id, param="id"
    )
    data = validated(input_class, request)
    act(pm, data, Actor.from_request(request))
    pm = selectors.payment_method_get(
        merchant=request.merchant, livemode=request.livemode, id=payment_method_id
    )
    return Response(payment_method_to_dict(pm))


class PaymentMethodAttachView(MerchantAPIView):
    resource = "payment_methods"

    @extend_schema(
        operation_id="payment_methods_attach",
        summary="Attach a payment method to a customer (card on file; needs consent)",
        request=PaymentMethodAttachInput,
        responses={
            200: PaymentMethodOutput,
            **error_responses(*ATTACH_ERRORS),
        },
    )
    def post(self, request, payment_method_id: str):
        def attach(pm, data, actor):
            customer = selectors.customer_get(
                merchant=request.merchant, livemode=request.livemode, id=data["customer"], param="customer"
            )
            services.payment_method_attach(
                payment_method=pm, customer=customer, actor=actor, allow_redisplay=data.get("allow_redisplay")
            )

        return _payment_method_action(request, payment_method_id, PaymentMethodAttachInput, attach)


class PaymentMethodDetachView(MerchantAPIView):
    resource = "payment_methods"

    @extend_schema(
        operation_id="payment_methods_detach",
        summary="Detach a payment method from its customer",
        request=PaymentMethodDetachInput,
        responses={200: PaymentMethodOutput, **error_responses(*DETACH_ERRORS)},
    )
    def post(self, request, payment_method_id: str):
        def detach(pm, data, actor):
            services.payment_method_detach(payment_method=pm, actor=actor)

        return _payment_method_action(request, payment_method_id, PaymentMethodDetachInput, detach)


class PaymentMethodVerifyView(MerchantAPIView):
    resource = "payment_methods"

    @extend_schema(
        operation_id="payment_methods_verify",
        summary="Verify a payment method",
        description="Cards: a zero-amount authorization through the sandbox connector (402 card_error when "
        "declined). Bank accounts: the first call sends two micro-deposits (32 and 45 in test mode); "
        "call again with `amounts` to confirm. Three wrong answers lock the verification.",
        request=PaymentMethodVerifyInput,
        responses={200: PaymentMethodOutput, **error_responses(*VERIFY_ERRORS)},
    )
    def post(self, request, payment_method_id: str):
        def verify(pm, data, actor):
            services.payment_method_verify(payment_method=pm, actor=actor, amounts=data.get("amounts"))

        return _payment_method_action(request, payment_method_id, PaymentMethodVerifyInput, verify)
