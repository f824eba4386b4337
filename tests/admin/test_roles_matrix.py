"""The roles matrix, generated from the admin registry: for every role, every registered admin URL
(changelist, add, change, delete, history, custom views) and every action, what the matrix in
apps/core/roles.py allows answers 200 (or the expected redirect) and works, what it forbids answers 403.
New admin pages are covered automatically."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from apps.core.roles import ROLES, role_grants, roles_matrix_markdown, sync_roles
from tests.admin import dataset
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db

STANDARD_URL_SUFFIXES = ("_changelist", "_add", "_change", "_delete", "_history", "_autocomplete")
OUR_APPS = ("approvals", "audit", "merchants", "vault", "intents", "refunds", "ledger", "payouts", "webhooks",
            "connectors", "reporting", "disputes", "risk", "reconciliation")  # fmt: skip


def _perm(opts, action: str) -> str:
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


class _Recorder:
    """A stand-in user that grants everything and records which permissions were asked."""

    is_active = is_staff = is_authenticated = True
    is_superuser = False
    pk = id = 0

    def __init__(self):
        self.asked: list[str] = []

    def has_perm(self, perm, obj=None):
        self.asked.append(perm)
        return True

    def has_perms(self, perms, obj=None):
        return all(self.has_perm(p) for p in perms)

    def has_module_perms(self, app_label):
        return True

    def is_verified(self):
        return True


def _ceiling(model_admin, method: str, *args) -> tuple[bool, list[str]]:
    """What the ModelAdmin allows at most (for a user holding every permission) and which
    permissions it asks for — the matrix then decides for each role."""
    request = RequestFactory().get("/admin/")
    request.user = _Recorder()
    allowed = getattr(model_admin, method)(request, *args)
    return bool(allowed), request.user.asked


def _expected(role: str, model_admin, method: str, *args) -> bool:
    allowed, asked = _ceiling(model_admin, method, *args)
    return allowed and all(role_grants(role, perm) for perm in asked)


@pytest.fixture
def world(merchant, api, django_capture_on_commit_callbacks):
    sync_roles()
    requester = staff_user("support", "requester")
    with django_capture_on_commit_callbacks(execute=True):
        data = dataset.build(merchant, api, requester)
    from apps.approvals.models import ApprovalRequest

    data["approval"] = ApprovalRequest.objects.get(target_id=data["refund"].public_id)
    return data


def _object(model_admin):
    try:
        return model_admin.get_queryset(_superuser_request()).order_by("pk").first()
    except Exception:  # an unmanaged aggregate (pghistory.Events) has no single-row pk lookup
        return None


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_answers_per_the_matrix(role, world, client):
    user = staff_user(role, f"matrix-{role}")
    client.force_login(user)
    mismatches = []

    def check(url, expected_ok, *, ok_codes=(200,), method="get", data=None):
        response = getattr(client, method)(url, data or {})
        if response.status_code >= 500:
            mismatches.append(f"{url}: {response.status_code} (server error)")
        elif expected_ok and response.status_code not in ok_codes:
            mismatches.append(f"{url}: expected {ok_codes}, got {response.status_code}")
        elif not expected_ok and response.status_code != 403:
            mismatches.append(f"{url}: expected 403, got {response.status_code}")
        return response

    check(reverse("admin:index"), True)
    check(reverse("admin:global_search") + "?q=ann@example.com&list=1", True)

    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        obj = _object(model_admin) if model._meta.managed else None
        view = _expected(role, model_admin, "has_view_or_change_permission")
        check(reverse(f"{name}_changelist"), view)
        check(reverse(f"{name}_add"), _expected(role, model_admin, "has_add_permission"))
        if obj is not None:
            check(reverse(f"{name}_change", args=[obj.pk]), view)
            check(reverse(f"{name}_history", args=[obj.pk]), view)
            check(
                reverse(f"{name}_delete", args=[obj.pk]),
                _expected(role, model_admin, "has_delete_permission"),
            )
        else:  # nothing to show: allowed users are sent back to the index, others refused
            check(reverse(f"{name}_change", args=["999999999"]), view, ok_codes=(302,))

        # Custom views of the ModelAdmin: a role with no permission at all on the model is refused.
        any_perm = any(role_grants(role, p) for p in _model_perms(model))
        for pattern in model_admin.get_urls():
            url_name = pattern.name or ""
            if not url_name or url_name.endswith(STANDARD_URL_SUFFIXES):
                continue
            url = _reverse_custom(url_name, pattern, obj)
            if url is None:
                continue
            response = client.get(url)
            if response.status_code >= 500:
                mismatches.append(f"{url}: {response.status_code} (server error)")
            elif not any_perm and response.status_code != 403:
                mismatches.append(
                    f"{url}: role without any {opts.label} permission got {response.status_code}"
                )

        # Actions of our apps: offered and usable iff the matrix grants what the action checks.
        if opts.app_label in OUR_APPS and obj is not None:
            for action_name, (func, _n, _d) in model_admin.get_actions(_superuser_request()).items():
                expected = all(
                    _expected(role, model_admin, f"has_{p}_permission")
                    for p in getattr(func, "allowed_permissions", ())
                )
                data = {"action": action_name, "_selected_action": [obj.pk], "index": 0}
                response = client.post(reverse(f"{name}_changelist"), data)
                if expected and response.status_code not in (200, 302):
                    mismatches.append(
                        f"action {opts.label}.{action_name}: expected 200/302, got {response.status_code}"
                    )
                if not expected and response.status_code != 403:
                    mismatches.append(
                        f"action {opts.label}.{action_name}: expected 403, got {response.status_code}"
                    )

    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = _Recorder()
    return request


def _model_perms(model) -> list[str]:
    opts = model._meta
    perms = [_perm(opts, a) for a in opts.default_permissions]
    return perms + [f"{opts.app_label}.{codename}" for codename, _ in opts.permissions]


def _reverse_custom(url_name, pattern, obj):
    params = set(pattern.pattern.converters)
    try:
        if not params:
            return reverse(f"admin:{url_name}")
        if params == {"object_id"} and obj is not None:
            return reverse(f"admin:{url_name}", args=[obj.pk])
    except NoReverseMatch:
        return None
    return None


@pytest.mark.parametrize("role", ROLES)
def test_custom_back_office_views_per_role(role, world, client):
    """The back office's own custom views, with their exact expectations."""
    user = staff_user(role, f"custom-{role}")
    client.force_login(user)
    approval, export = world["approval"], world["export"]
    decide = client.get(reverse("admin:approvals_approvalrequest_decide", args=[approval.pk]))
    assert decide.status_code == (200 if role_grants(role, "approvals.decide_approvalrequest") else 403)
    download = client.get(reverse("admin:audit_auditexport_download", args=[export.pk, "csv"]))
    assert download.status_code == (200 if role_grants(role, "audit.view_auditexport") else 403)


def test_groups_hold_exactly_the_matrix():
    sync_roles()
    everything = list(Permission.objects.select_related("content_type"))
    for role in ROLES:
        held = {
            f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()
        }
        wanted = {f"{p.content_type.app_label}.{p.codename}" for p in everything
                  if role_grants(role, f"{p.content_type.app_label}.{p.codename}")}  # fmt: skip
        assert held == wanted, role
    for role in ROLES:
        for perm in ("audit.change_auditentry", "audit.delete_auditentry", "approvals.change_approvalrequest",
                     "merchants.change_apikeyevent", "pghistory.delete_events"):  # fmt: skip
            assert not role_grants(role, perm), (role, perm)


def test_readme_matrix_is_in_sync_with_roles_py():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert roles_matrix_markdown() in readme, (
        "README's roles matrix is out of date: paste the output of "
        "`python manage.py roles_matrix` into the section '## Back office and roles'."
    )
