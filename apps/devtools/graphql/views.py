"""`/graphql`: POST a query with a merchant API key (as REST: Bearer sk_/rk_, never a publishable
key). GraphiQL (GET in a browser) exists only with DEBUG, never in production."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from graphql import OperationDefinitionNode, parse, validate
from graphql.error import GraphQLSyntaxError
from rest_framework.response import Response
from strawberry.types.graphql import OperationType

from apps.core.checks import is_production
from apps.core.errors import ParameterInvalid, ParameterMissing
from apps.core.rest import MerchantAPIView
from apps.merchants.models import ApiKey

from .limits import cost_rule
from .schema import schema

MAX_QUERY_CHARS = 20_000


def ide_enabled() -> bool:
    return bool(settings.DEBUG) and not is_production()


class GraphQLView(MerchantAPIView):
    # Scopes of restricted keys are checked per field (resolvers), so the view lets them in.
    resource = None

    def check_permissions(self, request):
        key = getattr(request, "api_key", None)
        if key is not None and key.kind == ApiKey.Kind.RESTRICTED:
            return
        super().check_permissions(request)

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ParameterMissing("Missing required param: query.", param="query")
        if len(query) > MAX_QUERY_CHARS:
            raise ParameterInvalid(f"query is longer than {MAX_QUERY_CHARS} characters.", param="query")
        variables = body.get("variables") or {}
        if isinstance(variables, str):
            try:
                variables = json.loads(variables)
            except ValueError:
                raise ParameterInvalid("variables must be a JSON object.", param="variables") from None
        if not isinstance(variables, dict):
            raise ParameterInvalid("variables must be a JSON object.", param="variables")
        try:
            document = parse(query)
        except GraphQLSyntaxError as exc:
            return Response({"errors": [exc.formatted]}, status=400)
        cost_errors = validate(schema._schema, document, [cost_rule(variables)])
        if cost_errors:
            return Response({"errors": [e.formatted for e in cost_errors]}, status=400)
        if any(
            isinstance(d, OperationDefinitionNode) and d.operation.value != "query"
            for d in document.definitions
        ):
            return Response(
                {"errors": [{"message": "This API is read-only: only queries are accepted (no mutations or "
                             "subscriptions).", "extensions": {"code": "operation_not_allowed"}}]},
                status=400,
            )  # fmt: skip
        result = schema.execute_sync(
            query,
            variable_values=variables,
            operation_name=body.get("operationName") if isinstance(body.get("operationName"), str) else None,
            context_value={
                "merchant": request.merchant,
                "livemode": request.livemode,
                "api_key": request.api_key,
            },
            allowed_operation_types={OperationType.QUERY},  # read-only: a mutation is refused
        )
        payload: dict = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        status = 400 if result.errors and result.data is None else 200
        return Response(payload, status=status)


_api_view = GraphQLView.as_view()


@csrf_exempt
def graphql_entry(request):
    """GET: the GraphiQL page (development only; 404 otherwise). Anything else: the API."""
    if request.method == "GET":
        if not ide_enabled():
            raise Http404
        from strawberry.django.views import GraphQLView as StrawberryView

        return StrawberryView(schema=schema, graphql_ide="graphiql").render_graphql_ide(request)
    return _api_view(request)
