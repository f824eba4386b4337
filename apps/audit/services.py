"""The one way to write an audit entry. Call it inside the transaction of the change it records."""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

from apps.core.context import get_client_ip, get_request_id

from .models import AuditEntry


@dataclass(frozen=True)
class Actor:
    type: str
    id: str
    label: str

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(type=AuditEntry.ActorType.STAFF, id=str(user.pk), label=user.get_username())

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(type=AuditEntry.ActorType.SYSTEM, id="", label=name)

    @classmethod
    def from_request(cls, request) -> "Actor":
        key = getattr(request, "api_key", None)
        if key is not None:
            return cls(type=AuditEntry.ActorType.API_KEY, id=key.public_id, label=f"{key.display_prefix}…")
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None):
            return cls.staff(user)
        return cls.system("anonymous")


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_record(
    *,
    actor: Actor,
    action: str,
    merchant=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or getattr(obj, "public_id", "") or str(obj.pk)
    return AuditEntry.objects.create(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        merchant=merchant,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason or "",
        request_id=get_request_id(),
        ip_address=get_client_ip() or None,
    )
