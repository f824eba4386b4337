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
        "disputes.view_*",
        # Finance approves accepting a dispute (the maker-checker of apps/disputes/approvals.py).
        "disputes.accept_dispute",
        "files.view_file",
        "ledger.view_*",
        "ledger.add_exchangerate",
        "ledger.change_exchangerate",
        "ledger.request_adjustment",
        "payouts.view_*",
        "payouts.change_payout",
        "payouts.approve_payout",
        "devtools.view_bulkjob",
        "devtools.add_bulkjob",
        "devtools.approve_bulkjob",
        "devtools.view_diagnostics",
        "approvals.view_*",
        "approvals.decide_approvalrequest",
        "webhooks.view_event",
        "reporting.view_*",
        "reconciliation.view_*",
        "reconciliation.resolve_discrepancy",
        "reconciliation.writeoff_discrepancy",
        "reconciliation.add_settlementfile",
        "reconciliation.add_reconciliationrun",
        "reconciliation.*_columnmapping",
        "reconciliation.*_tolerance",
        "reconciliation.*_acquirerfeerule",
        "reporting.add_reportrun",
        "reporting.add_reportschedule",
        "reporting.change_reportschedule",
        "reporting.signoff_settlement",
        "reconciliation.*_glaccountmapping",
        "reconciliation.add_accountingperiod",
        "reconciliation.close_accountingperiod",
        "vault.view_customer",
    ),
    # Finds payments, refunds within policy, helps merchants with webhooks.
    "support": (
        "merchants.view_merchant",
        # Support follows up on what staff and merchants did (read-only; exports stay compliance's).
        "audit.view_auditentry",
        "vault.view_customer",
        "vault.view_paymentmethod",
        "vault.delete_paymentmethod",
        "vault.delete_customer",
        "intents.view_*",
        "intents.capture_paymentintent",
        "intents.cancel_paymentintent",
        "refunds.view_*",
        "refunds.add_refund",
        # Support works the dispute queue: drafts evidence, submits it, asks to accept (finance decides).
        "disputes.view_dispute",
        "disputes.change_dispute",
        "disputes.submit_dispute",
        "files.view_file",
        "approvals.view_*",
        "webhooks.view_*",
        "webhooks.redrive_delivery",
        "connectors.view_*",
        "devtools.view_simulation",
        "devtools.view_testclock",
        "devtools.view_diagnostics",
        "routing.view_*",
    ),
    # Reviews fraud decisions; sees payments and customers, never money controls.
    "risk": (
        "merchants.view_merchant",
        "vault.view_customer",
        "vault.view_paymentmethod",
        "intents.view_*",
        "intents.cancel_paymentintent",
        "refunds.view_*",
        "disputes.view_dispute",
        "approvals.view_*",
        # a second analyst decides risk overrides (the risk_override kind also needs risk.approve_override)
        "approvals.decide_approvalrequest",
        "risk.*",
    ),
    # Reads everything that leaves a trace; exports the audit log.
    "compliance": (
        "merchants.view_*",
        "audit.view_*",
        "audit.add_auditexport",
        "intents.view_*",
        "refunds.view_*",
        "disputes.view_*",
        "files.view_*",
        "ledger.view_*",
        "payouts.view_*",
        "approvals.view_*",
        "webhooks.view_*",
        "vault.view_customer",
        "vault.view_paymentmethod",
        "pghistory.view_*",
        "devtools.view_accessreview",
        "devtools.add_accessreview",
        "devtools.view_diagnostics",
    ),
    # Platform administrators: configuration of merchants, keys, connectors, roles.
    "admin": ("*",),
}

# Nobody may change or delete append-only records, whatever their role; approval requests and
# audit entries are only ever written by services.
NEVER_GRANTED = (
    "audit.add_auditentry",
    "audit.change_*",
    "audit.delete_*",
    "approvals.add_*",
    "approvals.change_*",
    "approvals.delete_*",
    # pghistory event tables (…Event models) and the webhook outbox are append-only.
    "*.add_*event",
    "*.change_*event",
    "*.delete_*event",
    "*.change_*events",
    "*.delete_*events",
    "ledger.change_journalentry",
    "ledger.delete_journalentry",
    "ledger.change_posting",
    "ledger.delete_posting",
    "pghistory.add_*",
    "pghistory.change_*",
    "pghistory.delete_*",
    # A recorded access review stays as it was recorded.
    "devtools.change_accessreview",
    "devtools.delete_accessreview",
)


ROLE_DESCRIPTIONS = {
    "finance": "Reconciles, pays out, approves large refunds/payouts and balance adjustments.",
    "support": "Finds payments, refunds within policy (above the threshold a finance approver decides).",
    "risk": "Reviews fraud decisions; sees payments and customers, never money controls.",
    "compliance": "Reads everything that leaves a trace; exports the audit log.",
    "admin": "Platform administrators: merchants, keys, connectors, staff and roles.",
}


def role_grants(role: str, perm: str) -> bool:
    if any(fnmatch(perm, pattern) for pattern in NEVER_GRANTED):
        return False
    return any(fnmatch(perm, pattern) for pattern in ROLE_PERMISSIONS[role])


def sync_roles(sender=None, **kwargs) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    # post_migrate fires once per app; permissions of every app exist only after the last one.
    # (Only apps with a models module receive it.)
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is not None and sender.label != with_models[-1].label:
        return

    permissions = list(Permission.objects.select_related("content_type"))
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [p for p in permissions if role_grants(role, f"{p.content_type.app_label}.{p.codename}")]
        group.permissions.set(wanted)


def roles_matrix_markdown() -> str:
    """The README's roles matrix, generated from ROLE_PERMISSIONS for every model in the admin."""
    from django.contrib import admin
    from django.contrib.auth import get_permission_codename

    rows = []
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        opts = model._meta
        if opts.proxy and opts.app_label == "pghistory":
            continue
        codenames = [get_permission_codename(action, opts) for action in opts.default_permissions]
        codenames += [codename for codename, _ in opts.permissions]
        cells = []
        for role in ROLES:
            granted = [c for c in codenames if role_grants(role, f"{opts.app_label}.{c}")]
            words = [c.rsplit("_", 1)[0] if c.endswith(f"_{opts.model_name}") else c for c in granted]
            cells.append(", ".join(words) if words else "—")
        rows.append(f"| `{opts.label}` | " + " | ".join(cells) + " |")
    header = "| Model | " + " | ".join(ROLES) + " |\n|---|" + "---|" * len(ROLES)
    return header + "\n" + "\n".join(rows) + "\n"
