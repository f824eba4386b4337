"""GET /v1/balance and /v1/balance_transactions (thin: selector → representation)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.core.rest import MerchantAPIView, created_filter, stripe_list
from apps.core.schema import error_responses, list_of
from apps.ledger import selectors
from apps.ledger.errors import ParameterInvalid
from apps.ledger.models import BalanceTransaction
from apps.ledger.outputs import BalanceOutput, BalanceTransactionOutput
from apps.ledger.payloads import balance_payload, balance_transaction_payload


class BalanceView(MerchantAPIView):
    resource = "balance"

    @extend_schema(
        operation_id="balance_retrieve",
        responses={200: BalanceOutput, **error_responses()},
        summary="Available, pending and reserved balance per currency",
    )
    def get(self, request):
        return Response(balance_payload(merchant=request.merchant, livemode=request.livemode))


class BalanceTransactionListView(MerchantAPIView):
    resource = "balance"

    @extend_schema(
        operation_id="balance_transactions_list",
        responses={200: list_of(BalanceTransactionOutput), **error_responses()},
        parameters=[
            OpenApiParameter("type", str, required=False, enum=BalanceTransaction.Type.values),
            OpenApiParameter("payout", str, required=False),
            OpenApiParameter("currency", str, required=False),
            OpenApiParameter("source", str, required=False),
            OpenApiParameter("created[gte]", int, required=False),
            OpenApiParameter("created[lte]", int, required=False),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        summary="Balance history (filters: type, created, payout, currency, source)",
    )
    def get(self, request):
        params = request.query_params
        transaction_type = params.get("type")
        if transaction_type and transaction_type not in BalanceTransaction.Type.values:
            raise ParameterInvalid(
                f"Invalid type {transaction_type!r}; one of {', '.join(BalanceTransaction.Type.values)}.",
                param="type",
            )
        qs = selectors.balance_transaction_list(
            merchant=request.merchant,
            livemode=request.livemode,
            filters={k: params.get(k) for k in ("type", "payout", "currency", "source")},
        )
        qs = created_filter(qs, request)
        return stripe_list(request, qs, balance_transaction_payload)


class BalanceTransactionDetailView(MerchantAPIView):
    resource = "balance"

    @extend_schema(
        operation_id="balance_transactions_retrieve",
        responses={200: BalanceTransactionOutput, **error_responses()},
    )
    def get(self, request, balance_transaction_id: str):
        balance_transaction = selectors.balance_transaction_get(
            merchant=request.merchant, livemode=request.livemode, id=balance_transaction_id
        )
        return Response(balance_transaction_payload(balance_transaction))
