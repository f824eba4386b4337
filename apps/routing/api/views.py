from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.errors import ParameterInvalidInteger
from apps.core.limits import ascii_int
from apps.core.rest import MerchantAPIView, created_filter, stripe_list
from apps.core.schema import error_responses, list_of
from apps.routing import describe, selectors, services
from apps.routing.engine import PaymentDescription
from apps.routing.errors import RuleSetInvalid, RuleSetNotActive, RuleSetVersionMissing
from apps.routing.models import RuleSet
from apps.routing.outputs import RoutingDecisionOutput, RoutingRuleSetOutput
from apps.routing.payloads import decision_to_dict, rule_set_to_dict, rule_sets_with_latest

from .serializers import EvaluateInput, RuleSetActivateInput, RuleSetCreateInput, RuleSetUpdateInput


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _rule_set(request, rule_set_id: str) -> RuleSet:
    return selectors.rule_set_get(merchant=request.merchant, livemode=request.livemode, id=rule_set_id)


class RuleSetListCreateView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        responses={200: list_of(RoutingRuleSetOutput), **error_responses()},
        operation_id="routing_rule_sets_list",
    )
    def get(self, request):
        qs = selectors.rule_set_list(merchant=request.merchant, livemode=request.livemode)
        qs = created_filter(qs, request)
        return stripe_list(
            request, qs, rule_set_to_dict, url="/v1/routing/rule_sets", prepare=rule_sets_with_latest
        )

    @extend_schema(
        request=RuleSetCreateInput,
        responses={200: RoutingRuleSetOutput, **error_responses(RuleSetInvalid)},
        operation_id="routing_rule_sets_create",
    )
    def post(self, request):
        data = _validated(RuleSetCreateInput, request)
        rule_set = services.rule_set_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        return Response(rule_set_to_dict(rule_set))


class RuleSetDetailView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        parameters=[OpenApiParameter("version", int, required=False, description="Default: the latest.")],
        responses={
            200: RoutingRuleSetOutput,
            **error_responses(RuleSetVersionMissing, ParameterInvalidInteger),
        },
        operation_id="routing_rule_sets_retrieve",
    )
    def get(self, request, rule_set_id: str):
        rule_set = _rule_set(request, rule_set_id)
        raw = request.query_params.get("version")
        version = None
        if raw is not None:
            version = ascii_int(raw, minimum=1, maximum=1_000_000)
            if version is None:
                raise ParameterInvalidInteger("version must be a positive integer.", param="version")
        return Response(rule_set_to_dict(rule_set, selectors.rule_set_version(rule_set, version)))

    @extend_schema(
        request=RuleSetUpdateInput,
        responses={200: RoutingRuleSetOutput, **error_responses(RuleSetInvalid)},
        operation_id="routing_rule_sets_update",
    )
    def post(self, request, rule_set_id: str):
        rule_set = _rule_set(request, rule_set_id)
        data = _validated(RuleSetUpdateInput, request)
        rule_set = services.rule_set_update(
            rule_set_id=rule_set.pk, actor=Actor.from_request(request), **data
        )
        return Response(rule_set_to_dict(rule_set))


class RuleSetActivateView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        request=RuleSetActivateInput,
        responses={200: RoutingRuleSetOutput, **error_responses(RuleSetVersionMissing)},
        operation_id="routing_rule_sets_activate",
    )
    def post(self, request, rule_set_id: str):
        rule_set = _rule_set(request, rule_set_id)
        data = _validated(RuleSetActivateInput, request)
        rule_set = services.rule_set_activate(
            rule_set_id=rule_set.pk, version=data.get("version"), actor=Actor.from_request(request)
        )
        return Response(
            rule_set_to_dict(rule_set, selectors.rule_set_version(rule_set, rule_set.active_version))
        )


class RuleSetDeactivateView(MerchantAPIView):
    resource = "connectors"

    @extend_schema(
        request=None,
        responses={200: RoutingRuleSetOutput, **error_responses(RuleSetNotActive)},
        operation_id="routing_rule_sets_deactivate",
    )
    def post(self, request, rule_set_id: str):
        rule_set = _rule_set(request, rule_set_id)
        rule_set = services.rule_set_deactivate(rule_set_id=rule_set.pk, actor=Actor.from_request(request))
        return Response(rule_set_to_dict(rule_set))


def description_from(request, data: dict) -> PaymentDescription:
    """The payment description of a dry run, from the fields a payment intent takes."""
    card = data.get("card") or {}
    billing_country = ((data.get("billing_details") or {}).get("address") or {}).get("country", "")
    pm_type = data.get("payment_method_type") or (data.get("payment_method_types") or ["card"])[0]
    brand, card_country = card.get("brand", ""), card.get("country", "")
    if data.get("payment_method"):
        facts = describe.resolve(
            merchant=request.merchant, livemode=request.livemode, id=data["payment_method"]
        )
        if facts is not None:
            pm_type, brand = facts.type, facts.card_brand
            card_country = facts.card_country
            billing_country = billing_country or facts.billing_country
    return PaymentDescription(
        amount=data["amount"],
        currency=data["currency"],
        payment_method_type=pm_type,
        card_brand=brand,
        card_country=card_country.upper(),
        billing_country=billing_country.upper(),
        capture_method=data.get("capture_method") or "automatic",
        metadata=data.get("metadata") or {},
        payment_id=data.get("payment_intent") or "",
        connector=(data.get("routing") or {}).get("connector", ""),
    )


class EvaluateView(MerchantAPIView):
    """A dry run: the decision a payment of this description would get, nothing executed."""

    resource = "connectors"

    @extend_schema(
        request=EvaluateInput,
        responses={200: RoutingDecisionOutput, **error_responses(RuleSetVersionMissing)},
        operation_id="routing_evaluate",
    )
    def post(self, request):
        data = _validated(EvaluateInput, request)
        payment = description_from(request, data)
        snapshot = None
        if data.get("rule_set"):
            rule_set = _rule_set(request, data["rule_set"])
            snapshot = selectors.version_snapshot(
                selectors.rule_set_version(rule_set, data.get("version")), rule_set
            )
        decision = services.routing_decide(
            merchant=request.merchant, livemode=request.livemode, payment=payment, rule_set=snapshot
        )
        response = Response(decision_to_dict(decision.record))
        response.idempotent_store = False  # a dry run changes nothing: nothing to replay
        return response
