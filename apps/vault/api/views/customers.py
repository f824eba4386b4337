"""Customers: /v1/customers, search, retrieve/update/delete, their payment methods."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.rest import MerchantAPIView, created_filter, stripe_list, stripe_search
from apps.core.schema import error_responses
from apps.core.search import SearchField
from apps.vault import selectors, services
from apps.vault.errors import ParameterInvalid, ParameterInvalidInteger, ParameterMissing, ParameterUnknown
from apps.vault.models import PaymentMethod
from apps.vault.payloads import customer_deleted_dict, customer_to_dict, payment_method_to_dict

from ..serializers import (
    CustomerCreateInput,
    CustomerDeleteInput,
    CustomerListOutput,
    CustomerOutput,
    CustomerSearchOutput,
    CustomerUpdateInput,
    DeletedCustomerOutput,
    PaymentMethodListOutput,
)
from .common import CREATED_PARAMS, LIST_PARAMS, pm_type_param, validated


class CustomerListCreateView(MerchantAPIView):
    resource = "customers"

    @extend_schema(
        operation_id="customers_list",
        summary="List customers",
        parameters=[
            OpenApiParameter("email", str, required=False, description="Exact match (case-insensitive)"),
            *CREATED_PARAMS,
            *LIST_PARAMS,
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
        data = validated(CustomerCreateInput, request)
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
        data = validated(CustomerUpdateInput, request, partial=True)
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
        data = validated(CustomerDeleteInput, request)
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
            *LIST_PARAMS,
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
            type=pm_type_param(request),
        )
        return stripe_list(request, qs, payment_method_to_dict)
