"""Reads every app shares."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from .errors import NotFoundError


def tenant_get(
    queryset: QuerySet, *, merchant, livemode: bool, id: str, resource: str, param: str = "id"
) -> Model:
    """The merchant's object with this public id in this mode, or 404 `resource_missing`: another
    merchant's object, or one of the other mode, answers exactly like one that does not exist."""
    obj = queryset.filter(merchant=merchant, livemode=livemode, public_id=id).first()
    if obj is None:
        raise NotFoundError(resource, id, param=param)
    return obj
