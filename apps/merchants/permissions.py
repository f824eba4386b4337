from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission

from .errors import InsufficientScope, SecretKeyRequired
from .models import ApiKey


class ApiKeyPermission(BasePermission):
    """Publishable keys reach only views that allow them; restricted keys need the view's scope."""

    def has_permission(self, request, view) -> bool:
        key: ApiKey | None = getattr(request, "api_key", None)
        if key is None:
            raise NotAuthenticated()
        if key.kind == ApiKey.Kind.PUBLISHABLE:
            allowed = getattr(view, "allow_publishable", False)
            if allowed is True or (
                isinstance(allowed, (set, frozenset, tuple, list)) and request.method in allowed
            ):
                return True
            raise SecretKeyRequired()
        if key.kind == ApiKey.Kind.RESTRICTED:
            resource = getattr(view, "resource", None)
            access = "read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"
            granted = set(key.scopes or [])
            if resource and (f"{resource}:{access}" in granted or f"{resource}:write" in granted):
                return True
            raise InsufficientScope(scope=f"{resource}:{access}")
        return True
