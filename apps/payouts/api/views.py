"""Thin views for /v1/bank_accounts, /v1/payouts and /v1/payout_schedule."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.rest import MerchantAPIView, created_filter, stripe_list
from apps.core.schema import error_responses, list_of
from apps.ledger.errors import BalanceInsufficient
from apps.payouts import selectors, services
from apps.payouts.errors import (
    BankAccountInUse,
    BankAccountInvalid,
    BankAccountIsDefault,
    BankAccountMissing,
    ParameterInvalid,
    ParameterInvalidInteger,
    PayoutCurrencyMismatch,
    PayoutNotCancelable,
)
from apps.payouts.models import Payout
from apps.payouts.outputs import (
    BankAccountOutput,
    DeletedBankAccountOutput,
    PayoutOutput,
    PayoutScheduleOutput,
)
from apps.payouts.payloads import bank_account_payload, payout_payload, payout_schedule_payload

from .serializers import (
    BankAccountCreateInput,
    BankAccountUpdateInput,
    PayoutCancelInput,
    PayoutCreateInput,
    PayoutScheduleInput,
)

LIST_PARAMS = [
    OpenApiParameter("limit", int, required=False),
    OpenApiParameter("starting_after", str, required=False),
    OpenApiParameter("ending_before", str, required=False),
]


def _validated(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class BankAccountListView(MerchantAPIView):
    resource = "payouts"

    @extend_schema(
        operation_id="bank_accounts_list",
        responses={200: list_of(BankAccountOutput), **error_responses()},
        parameters=LIST_PARAMS,
    )
    def get(self, request):
        qs = selectors.bank_account_list(
            merchant=request.merchant,
            livemode=request.livemode,
            currency=request.query_params.get("currency", ""),
        )
        return stripe_list(request, qs, bank_account_payload)

    @extend_schema(
        operation_id="bank_accounts_create",
        request=BankAccountCreateInput,
        responses={200: BankAccountOutput, **error_responses(BankAccountInvalid)},
    )
    def post(self, request):
        data = _validated(BankAccountCreateInput, request)
        account = services.bank_account_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        return Response(bank_account_payload(account))


class BankAccountDetailView(MerchantAPIView):
    resource = "payouts"

    def _get(self, request, account_id):
        return selectors.bank_account_get(merchant=request.merchant, livemode=request.livemode, id=account_id)

    @extend_schema(
        operation_id="bank_accounts_retrieve", responses={200: BankAccountOutput, **error_responses()}
    )
    def get(self, request, account_id: str):
        return Response(bank_account_payload(self._get(request, account_id)))

    @extend_schema(
        operation_id="bank_accounts_update",
        request=BankAccountUpdateInput,
        responses={200: BankAccountOutput, **error_responses()},
    )
    def post(self, request, account_id: str):
        data = _validated(BankAccountUpdateInput, request)
        if "metadata" in data and "metadata" not in request.data:
            data.pop("metadata")
        account = services.bank_account_update(
            account=self._get(request, account_id), changes=data, actor=Actor.from_request(request)
        )
        return Response(bank_account_payload(account))

    @extend_schema(
        operation_id="bank_accounts_delete",
        responses={200: DeletedBankAccountOutput, **error_responses(BankAccountInUse, BankAccountIsDefault)},
    )
    def delete(self, request, account_id: str):
        account = services.bank_account_delete(
            account=self._get(request, account_id), actor=Actor.from_request(request)
        )
        return Response({"id": account.public_id, "object": "bank_account", "deleted": True})


class PayoutListView(MerchantAPIView):
    resource = "payouts"

    @extend_schema(
        operation_id="payouts_list",
        responses={200: list_of(PayoutOutput), **error_responses(ParameterInvalidInteger)},
        parameters=[
            *LIST_PARAMS,
            OpenApiParameter("status", str, required=False, enum=Payout.Status.values),
            OpenApiParameter("destination", str, required=False),
            OpenApiParameter("created[gte]", int, required=False),
            OpenApiParameter("created[lte]", int, required=False),
            OpenApiParameter("arrival_date[gte]", int, required=False),
            OpenApiParameter("arrival_date[lte]", int, required=False),
        ],
    )
    def get(self, request):
        status_filter = request.query_params.get("status")
        if status_filter and status_filter not in Payout.Status.values:
            raise ParameterInvalid(f"Invalid status {status_filter!r}.", param="status")
        qs = selectors.payout_list(
            merchant=request.merchant,
            livemode=request.livemode,
            status=status_filter or "",
            destination=request.query_params.get("destination", ""),
        )
        qs = created_filter(qs, request)
        qs = created_filter(qs, request, field="arrival_date", param="arrival_date", as_date=True)
        return stripe_list(request, qs, payout_payload)

    @extend_schema(
        operation_id="payouts_create",
        request=PayoutCreateInput,
        responses={
            200: PayoutOutput,
            **error_responses(BalanceInsufficient, BankAccountMissing, PayoutCurrencyMismatch),
        },
    )
    def post(self, request):
        data = _validated(PayoutCreateInput, request)
        payout = services.payout_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        return Response(payout_payload(payout), status=status.HTTP_200_OK)


class PayoutDetailView(MerchantAPIView):
    resource = "payouts"

    @extend_schema(operation_id="payouts_retrieve", responses={200: PayoutOutput, **error_responses()})
    def get(self, request, payout_id: str):
        payout = selectors.payout_get(merchant=request.merchant, livemode=request.livemode, id=payout_id)
        return Response(payout_payload(payout))


class PayoutCancelView(MerchantAPIView):
    resource = "payouts"

    @extend_schema(
        operation_id="payouts_cancel",
        request=PayoutCancelInput,
        responses={200: PayoutOutput, **error_responses(PayoutNotCancelable)},
    )
    def post(self, request, payout_id: str):
        _validated(PayoutCancelInput, request)
        payout = selectors.payout_get(merchant=request.merchant, livemode=request.livemode, id=payout_id)
        payout = services.payout_cancel(payout=payout, actor=Actor.from_request(request))
        return Response(payout_payload(payout))


class PayoutScheduleView(MerchantAPIView):
    resource = "payouts"

    @extend_schema(
        operation_id="payout_schedule_retrieve", responses={200: PayoutScheduleOutput, **error_responses()}
    )
    def get(self, request):
        schedule = services.payout_schedule_get(merchant=request.merchant, livemode=request.livemode)
        return Response(payout_schedule_payload(schedule))

    @extend_schema(
        operation_id="payout_schedule_update",
        request=PayoutScheduleInput,
        responses={200: PayoutScheduleOutput, **error_responses()},
    )
    def post(self, request):
        data = _validated(PayoutScheduleInput, request)
        schedule = services.payout_schedule_update(
            merchant=request.merchant,
            livemode=request.livemode,
            changes=data,
            actor=Actor.from_request(request),
        )
        return Response(payout_schedule_payload(schedule))
