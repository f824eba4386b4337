"""Thin views: /v1/risk/rules, /v1/risk/decisions, /v1/risk/score, /v1/radar/value_lists,
/v1/radar/value_list_items and /v1/reviews."""

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.errors import InvalidRequestError, NotFoundError
from apps.core.rest import MerchantAPIView, created_filter, stripe_list
from apps.core.schema import error_responses, list_of
from apps.risk import selectors
from apps.risk.errors import (
    ReviewNotOpen,
    RuleActionInvalid,
    ValueListAliasTaken,
    ValueListInUse,
    ValueListItemInvalid,
    ValueListUnknown,
)
from apps.risk.outputs import (
    DeletedRiskRuleOutput,
    DeletedValueListItemOutput,
    DeletedValueListOutput,
    EarlyFraudWarningOutput,
    ReviewOutput,
    RiskDecisionOutput,
    RiskRuleListOutput,
    RiskRuleOutput,
    ValueListItemOutput,
    ValueListOutput,
)
from apps.risk.payloads import (
    decision_to_dict,
    early_fraud_warning_to_dict,
    review_to_dict,
    rule_to_dict,
    value_list_item_to_dict,
    value_list_to_dict,
)
from apps.risk.rules import RuleSyntaxError
from apps.risk.services import rule_create, rule_update
from apps.risk.services import value_lists as lists
from apps.risk.services.reviews import review_approve
from apps.risk.services.scoring import risk_score

from .serializers import (
    ReviewApproveInput,
    RuleCreateInput,
    RuleUpdateInput,
    ScoreInput,
    ValueListCreateInput,
    ValueListItemCreateInput,
    ValueListUpdateInput,
)

RULE_OR_DELETED = PolymorphicProxySerializer(
    component_name="RiskRuleOrDeleted",
    serializers=[RiskRuleOutput, DeletedRiskRuleOutput],
    resource_type_field_name=None,
)
RULE_ERRORS = (RuleSyntaxError, ValueListUnknown, RuleActionInvalid)


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _rules_body(rule_set) -> dict:
    rules = selectors.rules_of(rule_set)
    return {
        "object": "list",
        "url": "/v1/risk/rules",
        "has_more": False,
        "rule_set_version": rule_set.version if rule_set else None,
        "active": rule_set.is_active if rule_set else False,
        "data": [rule_to_dict(rule, rule_set) for rule in rules],
    }


class RuleListView(MerchantAPIView):
    resource = "risk"

    @extend_schema(responses={200: RiskRuleListOutput, **error_responses()}, operation_id="risk_rules_list")
    def get(self, request):
        latest = selectors.rule_set_latest(merchant=request.merchant, livemode=request.livemode)
        return Response(_rules_body(latest))

    @extend_schema(request=RuleCreateInput, responses={200: RiskRuleOutput, **error_responses(*RULE_ERRORS)},
                   operation_id="risk_rules_create")  # fmt: skip
    def post(self, request):
        data = _validated(RuleCreateInput, request)
        rule_set, rule_id = rule_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request),
            action=data["action"], predicate=data["predicate"], description=data.get("description", ""),
            activate=data["activate"],
        )  # fmt: skip
        rule = next(r for r in selectors.rules_of(rule_set) if r.rule_id == rule_id)
        return Response(rule_to_dict(rule, rule_set))


class RuleDetailView(MerchantAPIView):
    resource = "risk"

    @extend_schema(responses={200: RiskRuleOutput, **error_responses()}, operation_id="risk_rules_retrieve")
    def get(self, request, rule_id: str):
        rule = selectors.rule_find(merchant=request.merchant, livemode=request.livemode, id=rule_id)
        return Response(rule_to_dict(rule, rule.rule_set))

    @extend_schema(request=RuleUpdateInput, responses={200: RULE_OR_DELETED, **error_responses(*RULE_ERRORS)},
                   operation_id="risk_rules_update")  # fmt: skip
    def post(self, request, rule_id: str):
        selectors.rule_find(merchant=request.merchant, livemode=request.livemode, id=rule_id)
        data = _validated(RuleUpdateInput, request)
        activate = data.pop("activate")
        rule_set = rule_update(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request),
            rule_id=rule_id, changes=data, activate=activate,
        )  # fmt: skip
        if data.get("deleted"):
            return Response({"id": rule_id, "object": "risk.rule", "deleted": True,
                             "rule_set_version": rule_set.version})  # fmt: skip
        rule = next(r for r in selectors.rules_of(rule_set) if r.rule_id == rule_id)
        return Response(rule_to_dict(rule, rule_set))


class DecisionDetailView(MerchantAPIView):
    resource = "risk"

    @extend_schema(
        responses={200: RiskDecisionOutput, **error_responses()}, operation_id="risk_decisions_retrieve"
    )
    def get(self, request, decision_id: str):
        decision = selectors.decision_get(
            merchant=request.merchant, livemode=request.livemode, id=decision_id
        )
        return Response(decision_to_dict(decision))


class ScoreView(MerchantAPIView):
    resource = "risk"

    @extend_schema(request=ScoreInput, responses={200: RiskDecisionOutput, **error_responses(InvalidRequestError)},
                   operation_id="risk_score")  # fmt: skip
    def post(self, request):
        data = _validated(ScoreInput, request)
        decision = risk_score(merchant=request.merchant, livemode=request.livemode, data=data)
        return Response(decision_to_dict(decision))


# --- value lists ---------------------------------------------------------------------------------


class ValueListListView(MerchantAPIView):
    resource = "risk"

    @extend_schema(
        parameters=[OpenApiParameter("alias", str, required=False), OpenApiParameter("limit", int, required=False),
                    OpenApiParameter("starting_after", str, required=False),
                    OpenApiParameter("ending_before", str, required=False)],
        responses={200: list_of(ValueListOutput), **error_responses()}, operation_id="radar_value_lists_list",
    )  # fmt: skip
    def get(self, request):
        qs = selectors.value_list_list(
            merchant=request.merchant,
            livemode=request.livemode,
            filters={"alias": request.query_params.get("alias")},
        )
        return stripe_list(
            request, created_filter(qs, request), value_list_to_dict, url="/v1/radar/value_lists"
        )

    @extend_schema(request=ValueListCreateInput,
                   responses={200: ValueListOutput, **error_responses(ValueListAliasTaken, ValueListItemInvalid)},
                   operation_id="radar_value_lists_create")  # fmt: skip
    def post(self, request):
        data = _validated(ValueListCreateInput, request)
        value_list = lists.value_list_create(
            merchant=request.merchant, livemode=request.livemode, actor=Actor.from_request(request), **data
        )
        return Response(value_list_to_dict(value_list, items=[]))


class ValueListDetailView(MerchantAPIView):
    resource = "risk"

    def _get(self, request, value_list_id):
        return selectors.value_list_get(
            merchant=request.merchant, livemode=request.livemode, id=value_list_id
        )

    @extend_schema(
        responses={200: ValueListOutput, **error_responses()}, operation_id="radar_value_lists_retrieve"
    )
    def get(self, request, value_list_id: str):
        value_list = self._get(request, value_list_id)
        items = list(value_list.items.select_related("value_list").order_by("-id")[:10])
        return Response(value_list_to_dict(value_list, items=items))

    @extend_schema(request=ValueListUpdateInput,
                   responses={200: ValueListOutput, **error_responses(ValueListAliasTaken, ValueListInUse, ValueListItemInvalid)},
                   operation_id="radar_value_lists_update")  # fmt: skip
    def post(self, request, value_list_id: str):
        value_list = self._get(request, value_list_id)
        data = _validated(ValueListUpdateInput, request)
        value_list = lists.value_list_update(
            value_list=value_list, actor=Actor.from_request(request), changes=data
        )
        return Response(value_list_to_dict(value_list))

    @extend_schema(
        responses={200: DeletedValueListOutput, **error_responses(ValueListInUse)},
        operation_id="radar_value_lists_delete",
    )
    def delete(self, request, value_list_id: str):
        value_list = self._get(request, value_list_id)
        public_id = value_list.public_id
        lists.value_list_delete(value_list=value_list, actor=Actor.from_request(request))
        return Response({"id": public_id, "object": "radar.value_list", "deleted": True})


class ValueListItemListView(MerchantAPIView):
    resource = "risk"

    @extend_schema(
        parameters=[OpenApiParameter("value_list", str, required=True), OpenApiParameter("value", str, required=False),
                    OpenApiParameter("limit", int, required=False),
                    OpenApiParameter("starting_after", str, required=False),
                    OpenApiParameter("ending_before", str, required=False)],
        responses={200: list_of(ValueListItemOutput), **error_responses()}, operation_id="radar_value_list_items_list",
    )  # fmt: skip
    def get(self, request):
        list_id = request.query_params.get("value_list")
        if not list_id:
            raise InvalidRequestError(
                "Missing required param: value_list.", param="value_list", code="parameter_missing"
            )
        value_list = selectors.value_list_get(
            merchant=request.merchant, livemode=request.livemode, id=list_id[:64]
        )
        qs = selectors.value_list_item_list(
            merchant=request.merchant, livemode=request.livemode, value_list=value_list,
            value=request.query_params.get("value"),
        )  # fmt: skip
        return stripe_list(
            request, created_filter(qs, request), value_list_item_to_dict, url="/v1/radar/value_list_items"
        )

    @extend_schema(request=ValueListItemCreateInput, responses={200: ValueListItemOutput, **error_responses(ValueListItemInvalid)},
                   operation_id="radar_value_list_items_create")  # fmt: skip
    def post(self, request):
        data = _validated(ValueListItemCreateInput, request)
        try:
            value_list = selectors.value_list_get(
                merchant=request.merchant, livemode=request.livemode, id=data["value_list"]
            )
        except NotFoundError:
            raise NotFoundError("value list", data["value_list"], param="value_list") from None
        item = lists.value_list_item_create(
            value_list=value_list, actor=Actor.from_request(request), value=data["value"]
        )
        return Response(value_list_item_to_dict(item))


class ValueListItemDetailView(MerchantAPIView):
    resource = "risk"

    @extend_schema(
        responses={200: ValueListItemOutput, **error_responses()},
        operation_id="radar_value_list_items_retrieve",
    )
    def get(self, request, item_id: str):
        item = selectors.value_list_item_get(merchant=request.merchant, livemode=request.livemode, id=item_id)
        return Response(value_list_item_to_dict(item))

    @extend_schema(
        responses={200: DeletedValueListItemOutput, **error_responses()},
        operation_id="radar_value_list_items_delete",
    )
    def delete(self, request, item_id: str):
        item = selectors.value_list_item_get(merchant=request.merchant, livemode=request.livemode, id=item_id)
        public_id = item.public_id
        lists.value_list_item_delete(item=item, actor=Actor.from_request(request))
        return Response({"id": public_id, "object": "radar.value_list_item", "deleted": True})


# --- reviews -------------------------------------------------------------------------------------


class ReviewListView(MerchantAPIView):
    resource = "risk"

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, required=False),
                    OpenApiParameter("starting_after", str, required=False),
                    OpenApiParameter("ending_before", str, required=False)],
        responses={200: list_of(ReviewOutput), **error_responses()}, operation_id="reviews_list",
    )  # fmt: skip
    def get(self, request):
        qs = selectors.review_list(merchant=request.merchant, livemode=request.livemode).select_related(
            "decision"
        )
        return stripe_list(request, created_filter(qs, request), review_to_dict, url="/v1/reviews")


class ReviewDetailView(MerchantAPIView):
    resource = "risk"

    @extend_schema(responses={200: ReviewOutput, **error_responses()}, operation_id="reviews_retrieve")
    def get(self, request, review_id: str):
        review = selectors.review_get(merchant=request.merchant, livemode=request.livemode, id=review_id)
        return Response(review_to_dict(review))


class ReviewApproveView(MerchantAPIView):
    resource = "risk"

    @extend_schema(request=ReviewApproveInput, responses={200: ReviewOutput, **error_responses(ReviewNotOpen)},
                   operation_id="reviews_approve")  # fmt: skip
    def post(self, request, review_id: str):
        review = selectors.review_get(merchant=request.merchant, livemode=request.livemode, id=review_id)
        data = _validated(ReviewApproveInput, request)
        review = review_approve(
            review_id=review.pk,
            actor=Actor.from_request(request),
            reason=data.get("reason") or "approved over the API",
        )
        return Response(review_to_dict(review))


EARLY_FRAUD_WARNING = EarlyFraudWarningOutput


class EarlyFraudWarningListView(MerchantAPIView):
    resource = "risk"

    @extend_schema(
        parameters=[OpenApiParameter("charge", str, required=False),
                    OpenApiParameter("payment_intent", str, required=False),
                    OpenApiParameter("limit", int, required=False),
                    OpenApiParameter("starting_after", str, required=False),
                    OpenApiParameter("ending_before", str, required=False)],
        responses={200: list_of(EARLY_FRAUD_WARNING), **error_responses()},
        operation_id="radar_early_fraud_warnings_list",
    )  # fmt: skip
    def get(self, request):
        qs = selectors.early_fraud_warning_list(
            merchant=request.merchant,
            livemode=request.livemode,
            charge=str(request.query_params.get("charge") or "")[:64],
            payment_intent=str(request.query_params.get("payment_intent") or "")[:64],
        )
        return stripe_list(
            request,
            created_filter(qs, request),
            early_fraud_warning_to_dict,
            url="/v1/radar/early_fraud_warnings",
        )


class EarlyFraudWarningDetailView(MerchantAPIView):
    resource = "risk"

    @extend_schema(
        responses={200: EARLY_FRAUD_WARNING, **error_responses()},
        operation_id="radar_early_fraud_warnings_retrieve",
    )
    def get(self, request, warning_id: str):
        warning = selectors.early_fraud_warning_get(
            merchant=request.merchant, livemode=request.livemode, id=warning_id
        )
        return Response(early_fraud_warning_to_dict(warning))
