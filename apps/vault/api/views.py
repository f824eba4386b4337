"""Thin views: parse → selector/service → representation."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.context import get_client_ip
from apps.core.rest import MerchantAPIView, created_filter, stripe_list, stripe_search
from apps.core.schema import error_responses
from apps.core.search import SearchField
from apps.vault import selectors, services
from apps.vault.errors import (
    ATTACH_ERRORS,
    CARD_VALIDATION_ERRORS,
    CREATE_ERRORS,
    DETACH_ERRORS,
    UPDATE_ERRORS,
    VERIFY_ERRORS,
    ParameterInvalid,
    ParameterInvalidInteger,
    ParameterMissing,
    ParameterUnknown,
)
from apps.vault.models import PaymentMethod
from apps.vault.payloads import (
    customer_deleted_dict,
    customer_to_dict,
    payment_method_deleted_dict,
    payment_method_to_dict,
    token_to_dict,
)

from .serializers import (
    CustomerCreateInput,
    CustomerDeleteInput,
    CustomerListOutput,
    CustomerOutput,
    CustomerSearchOutput,
    CustomerUpdateInput,
    DeletedCustomerOutput,
    PaymentMethodAttachInput,
    PaymentMethodCreateInput,
    PaymentMethodDeleteInput,
    PaymentMethodDetachInput,
    PaymentMethodListOutput,
    PaymentMethodOutput,
    PaymentMethodUpdateInput,
    PaymentMethodVerifyInput,
    TokenCreateInput,
    TokenOutput,
    VaultDeletedOutput,
)

_LIST_PARAMS = [
    OpenApiParameter("limit", int, required=False, description="1 to 100, default 10"),
    OpenApiParameter("starting_after", str, required=False),
    OpenApiParameter("ending_before", str, required=False),
]
_CREATED_PARAMS = [
    OpenApiParameter(f"created[{op}]", int, required=False, description="Unix seconds")
    for op in ("gte", "gt", "lte", "lt")
]


def _validated(serializer_class, request, *, partial: bool = False) -> dict:
    data = request.data if request.data is not None else {}
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _pm_type_param(request) -> str | None:
    value = request.query_params.get("type")
    if value is None:
        return None
    if value not in PaymentMethod.Type.values:
        raise ParameterInvalid(
            f"Invalid type: must be one of {', '.join(PaymentMethod.Type.values)}.", param="type"
        )
    return value


# --- customers -----------------------------------------------------------------------------------


class CustomerListCreateView(MerchantAPIView):
    resource = "customers"

    @extend_schema(
        operation_id="customers_list",
        summary="List customers",
        parameters=[
            OpenApiParameter("email", str, required=False, description="Exact match (case-insensitive)"),
            *_CREATED_PARAMS,
            *_LIST_PARAMS,
        ],
        responses={200: CustomerListOutput, **error_responses()},
    )
    def get(self, request):
        qs = selectors.customer_list(
            merchant=request.merchant, livemode=request.livemode, email=request.query_params.get("email")
        )
        qs = created_filter(qs, request)
        return stripe_list(request, qs, customer_to_dict)

    @extend_schema(
        operation_id="customers_create",
        summary="Create a customer",
        request=CustomerCreateInput,
        responses={200: CustomerOutput, **error_responses()},
    )
    def post(self, request):
        data = _validated(CustomerCreateInput, request)
        customer = services.customer_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        customer = selectors.customer_get(
            merchant=request.merchant, livemode=request.livemode, id=customer.public_id
        )
        return Response(customer_to_dict(customer))


CUSTOMER_SEARCH_FIELDS = {
    "email": SearchField("email", lower=True),
    "name": SearchField("name"),
    "phone": SearchField("phone"),
    "description": SearchField("description"),
    "created": SearchField("created_at", kind="timestamp"),
    "metadata": SearchField("metadata", kind="metadata"),
}


class CustomerSearchView(MerchantAPIView):
    resource = "customers"

    @extend_schema(
        operation_id="customers_search",
        summary="Search customers (Stripe's search query language)",
        description="`query=email:'jane@example.com' AND metadata['tier']:'gold'`; fields: email, name, "
        "phone, description (`:` exact, `~` substring), created (`>`, `<`, `>=`, `<=`), "
        "metadata['key']. Clauses join with AND or OR; `-` negates. `email=…` is a shortcut for "
        "an exact email. Newest first; `page` takes the previous result's `next_page`.",
        parameters=[
            OpenApiParameter("query", str, required=False, description="email:'…'"),
            OpenApiParameter("email", str, required=False),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("page", str, required=False),
        ],
        responses={
            200: CustomerSearchOutput,
            **error_responses(ParameterInvalid, ParameterMissing, ParameterInvalidInteger),
        },
    )
    def get(self, request):
        qs = selectors.customer_list(merchant=request.merchant, livemode=request.livemode)
        email = request.query_params.get("email")
        shortcut = request.query_params.get("query") is None and bool(email)
        if shortcut:
            qs = qs.filter(email=email.strip().lower())
        return stripe_search(
            request, qs, customer_to_dict, fields=CUSTOMER_SEARCH_FIELDS, query_required=not shortcut
        )


class CustomerDetailView(MerchantAPIView):
    resource = "customers"

    @extend_schema(
        operation_id="customers_retrieve",
        summary="Retrieve a customer (a deleted one answers {deleted: true})",
        responses={
            200: PolymorphicProxySerializer(
                component_name="CustomerOrDeleted",
                serializers=[CustomerOutput, DeletedCustomerOutput],
                resource_type_field_name=None,
            ),
            **error_responses(),
        },
    )
    def get(self, request, customer_id: str):
        customer = selectors.customer_get(
            merchant=request.merchant,
            livemode=request.livemode,
            id=customer_id,
            param="id",
            include_deleted=True,
        )
        return Response(customer_to_dict(customer))

    @extend_schema(
        operation_id="customers_update",
        summary="Update a customer",
        request=CustomerUpdateInput,
        responses={200: CustomerOutput, **error_responses(ParameterUnknown)},
    )
    def post(self, request, customer_id: str):
        customer = selectors.customer_get(
            merchant=request.merchant, livemode=request.livemode, id=customer_id, param="id"
        )
        data = _validated(CustomerUpdateInput, request, partial=True)
        services.customer_update(customer=customer, actor=Actor.from_request(request), changes=dict(data))
        customer = selectors.customer_get(
            merchant=request.merchant, livemode=request.livemode, id=customer_id, param="id"
        )
        return Response(customer_to_dict(customer))

    @extend_schema(
        operation_id="customers_delete",
        summary="Delete a customer (soft, audited; its payment methods are detached)",
        request=CustomerDeleteInput,
        responses={200: DeletedCustomerOutput, **error_responses()},
    )
    def delete(self, request, customer_id: str):
        customer = selectors.customer_get(
            merchant=request.merchant, livemode=request.livemode, id=customer_id, param="id"
        )
        data = _validated(CustomerDeleteInput, request)
        customer = services.customer_delete(
            customer=customer, actor=Actor.from_request(request), reason=data.get("reason", "")
        )
        return Response(customer_deleted_dict(customer))


class CustomerPaymentMethodsView(MerchantAPIView):
    resource = "payment_methods"

    @extend_schema(
        operation_id="customers_payment_methods_list",
        summary="List a customer's payment methods",
        parameters=[
            OpenApiParameter("type", str, required=False, enum=PaymentMethod.Type.values),
            *_LIST_PARAMS,
        ],
        responses={200: PaymentMethodListOutput, **error_responses(ParameterInvalid)},
    )
    def get(self, request, customer_id: str):
        customer = selectors.customer_get(
            merchant=request.merchant, livemode=request.livemode, id=customer_id, param="id"
        )
        qs = selectors.payment_method_list(
            merchant=request.merchant,
            livemode=request.livemode,
            customer=customer,
            type=_pm_type_param(request),
        )
        return stripe_list(request, qs, payment_method_to_dict)


# --- payment methods -----------------------------------------------------------------------------


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
            *_LIST_PARAMS,
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
            type=_pm_type_param(request),
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
        data = _validated(PaymentMethodCreateInput, request)
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
        data = _validated(PaymentMethodUpdateInput, request)
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
        data = _validated(PaymentMethodDeleteInput, request)
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
    data = _validated(input_class, request)
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


# --- tokens --------------------------------------------------------------------------------------


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
        data = _validated(TokenCreateInput, request)
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
