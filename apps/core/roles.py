"""Staff roles and their permissions: the single source of the README's roles matrix.

Each role maps to permission patterns `<app_label>.<codename>` (fnmatch wildcards allowed).
`sync_roles()` runs after every migrate, so permissions of apps added later are granted too.
"""

from fnmatch import fnmatch

ROLES = ("finance", "support", "risk", "compliance", "admin")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Reconciles, pays out, approves large refunds/payouts and balance adjustments.
    "finance": (
        "merchants.view_*",
        "intents.view_*",
        "refunds.view_*",
        "refunds.approve_refund",
        "ledger.view_*",
        "ledger.add_exchangerate",
        "ledger.change_exchangerate",
        "ledger.request_adjustment",
        "payouts.view_*",
        "payouts.change_payout",
        "payouts.approve_payout",
        "approvals.view_*",
        "approvals.decide_approvalrequest",
        "webhooks.view_event",
        "reporting.view_*",
        "vault.view_customer",
    ),
    # Finds payments, refunds within policy, helps merchants with webhooks.
    "support": (
        "merchants.view_merchant",
        "vault.view_*",
        "vault.delete_paymentmethod",
        "vault.delete_customer",
        "intents.view_*",
        "intents.capture_paymentintent",
        "intents.cancel_paymentintent",
        "refunds.view_*",
        "refunds.add_refund",
        "approvals.view_*",
        "webhooks.view_*",
        "webhooks.redrive_delivery",
        "connectors.view_*",
    ),
    # Reviews fraud decisions; sees payments and customers, never money controls.
    "risk": (
        "merchants.view_merchant",
        "vault.view_*",
        "intents.view_*",
        "intents.cancel_paymentintent",
        "refunds.view_*",
        "approvals.view_*",
        "risk.*",
    ),
    # Reads everything that leaves a trace; exports the audit log.
    "compliance": (
        "merchants.view_*",
        "audit.view_*",
        "audit.add_auditexport",
        "intents.view_*",
        "refunds.view_*",
        "ledger.view_*",
        "payouts.view_*",
        "approvals.view_*",
        "webhooks.view_*",
        "vault.view_*",
        "pghistory.view_*",
    ),
    # Platform administrators: configuration of merchants, keys, connectors, roles.
    "admin": ("*",),
}

# Nobody may change or delete append-only records, whatever their role.
NEVER_GRANTED = (
    "audit.change_*",
    "audit.delete_*",
    "ledger.change_journalentry",
    "ledger.delete_journalentry",
    "ledger.change_posting",
    "ledger.delete_posting",
    "pghistory.change_*",
    "pghistory.delete_*",
)


def role_grants(role: str, perm: str) -> bool:
    if any(fnmatch(perm, pattern) for pattern in NEVER_GRANTED):
        return False
    return any(fnmatch(perm, pattern) for pattern in ROLE_PERMISSIONS[role])


def sync_roles(sender=None, **kwargs) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    # post_migrate fires once per app; permissions of every app exist only after the last one.
    if sender is not None and sender.label != list(apps.get_app_configs())[-1].label:
        return

    permissions = list(Permission.objects.select_related("content_type"))
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [p for p in permissions if role_grants(role, f"{p.content_type.app_label}.{p.codename}")]
        group.permissions.set(wanted)
