"""What the vault's views share: list parameters, body validation, the `type` filter."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from apps.vault.errors import ParameterInvalid
from apps.vault.models import PaymentMethod

LIST_PARAMS = [
    OpenApiParameter("limit", int, required=False, description="1 to 100, default 10"),
    OpenApiParameter("starting_after", str, required=False),
    OpenApiParameter("ending_before", str, required=False),
]
CREATED_PARAMS = [
    OpenApiParameter(f"created[{op}]", int, required=False, description="Unix seconds")
    for op in ("gte", "gt", "lte", "lt")
]


def validated(serializer_class, request, *, partial: bool = False) -> dict:
    data = request.data if request.data is not None else {}
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def pm_type_param(request) -> str | None:
    value = request.query_params.get("type")
    if value is None:
        return None
    if value not in PaymentMethod.Type.values:
        raise ParameterInvalid(
            f"Invalid type: must be one of {', '.join(PaymentMethod.Type.values)}.", param="type"
        )
    return value
