"""Staff users per role (groups synced from apps/core/roles.py)."""

from django.contrib.auth.models import Group, User

from apps.core.roles import ROLES, sync_roles

PASSWORD = "correct-horse-battery-staple"


def staff_user(role: str, username: str | None = None) -> User:
    assert role in ROLES
    if not Group.objects.filter(name=role).exists() or not Group.objects.get(name=role).permissions.exists():
        sync_roles()
    user = User.objects.create_user(
        username or f"{role}-{User.objects.count() + 1}", password=PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user
