"""The sidebar, grouped by workflow. A link shows only when its model is registered in the admin
and the staff member may view it, so apps that land later appear by themselves."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

# (group title, [(item title, icon, "app_label.ModelName" or url name, query string)])
NAVIGATION = [
    (
        "Payments",
        [
            ("Payment intents", "payments", "intents.PaymentIntent", ""),
            ("Charges", "credit_card", "intents.Charge", ""),
        ],
    ),
    (
        "Refunds",
        [
            ("Approval queue", "rule", "approvals.ApprovalRequest", "?status__exact=pending"),
            ("Refunds", "undo", "refunds.Refund", ""),
        ],
    ),
    (
        "Customers",
        [
            ("Customers", "group", "vault.Customer", ""),
            ("Payment methods", "wallet", "vault.PaymentMethod", ""),
        ],
    ),
    (
        "Balances & payouts",
        [
            ("Payouts", "account_balance_wallet", "payouts.Payout", ""),
            ("Balances", "account_balance", "ledger.Account", ""),
            ("Journal entries", "menu_book", "ledger.JournalEntry", ""),
            ("Fee schedules", "percent", "ledger.FeeSchedule", ""),
        ],
    ),
    (
        "Reports",
        [
            ("Report runs", "summarize", "reporting.ReportRun", ""),
            ("Settlement sign-offs", "task_alt", "reporting.SettlementSignOff", ""),
        ],
    ),
    (
        "Webhooks",
        [
            ("Endpoints", "webhook", "webhooks.WebhookEndpoint", ""),
            ("Events", "bolt", "webhooks.Event", ""),
            ("Deliveries", "send", "webhooks.Delivery", ""),
        ],
    ),
    ("Disputes", [("Disputes", "gavel", "disputes.Dispute", "")]),
    (
        "Reconciliation",
        [
            ("Reconciliation runs", "fact_check", "reconciliation.ReconciliationRun", ""),
            ("Discrepancies", "report", "reconciliation.Discrepancy", ""),
        ],
    ),
    (
        "Risk",
        [
            ("Review queue", "policy", "risk.Review", "?open__exact=1"),
            ("Rules", "shield", "risk.Rule", ""),
            ("Rule-set versions", "layers", "risk.RuleSet", ""),
            ("Decisions", "fact_check", "risk.RiskDecision", ""),
            ("Overrides", "gpp_maybe", "risk.Override", ""),
            ("Card testing blocks", "block", "risk.CardTestingBlock", ""),
            ("Value lists", "list", "risk.ValueList", ""),
            ("Risk settings", "tune", "risk.RiskSettings", ""),
        ],
    ),
    (
        "Connectors",
        [
            ("Connectors", "hub", "connectors.Connector", ""),
            ("Routing rule sets", "alt_route", "routing.RuleSet", ""),
        ],
    ),
    (
        "Developer platform",
        [
            ("Bulk jobs", "upload_file", "devtools.BulkJob", ""),
            ("Simulations", "science", "devtools.Simulation", ""),
            ("Access reviews", "verified_user", "devtools.AccessReview", ""),
        ],
    ),
    (
        "Audit",
        [
            ("Audit log", "history", "audit.AuditEntry", ""),
            ("Compliance exports", "download", "audit.AuditExport", ""),
            ("Configuration history", "manage_history", "pghistory.Events", ""),
            ("All approvals", "approval", "approvals.ApprovalRequest", ""),
        ],
    ),
    (
        "Settings",
        [
            ("Merchants", "storefront", "merchants.Merchant", ""),
            ("API keys", "key", "merchants.ApiKey", ""),
            ("Staff users", "badge", "auth.User", ""),
            ("Roles", "admin_panel_settings", "auth.Group", ""),
            ("2FA devices", "phonelink_lock", "otp_totp.TOTPDevice", ""),
            ("Periodic tasks", "schedule", "django_celery_beat.PeriodicTask", ""),
        ],
    ),
]


# Pages that are not a model's list: (group title, item title, icon, url name, permission).
PAGES = [
    ("Balances & payouts", "Request adjustment", "tune", "admin:ledger_account_request_adjustment",
     "ledger.request_adjustment"),
]  # fmt: skip


def _registered(label: str):
    for model in admin.site._registry:
        if model._meta.label == label:
            return model
    return None


def navigation_items(request) -> list[dict]:
    groups = []
    for title, entries in NAVIGATION:
        items = []
        for item_title, icon, label, query in entries:
            model = _registered(label)
            if model is None:
                continue
            opts = model._meta
            if not request.user.has_perm(
                f"{opts.app_label}.view_{opts.model_name}"
            ) and not request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
                continue
            try:
                link = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + query
            except NoReverseMatch:
                continue
            items.append({"title": item_title, "icon": icon, "link": link})
        for group, item_title, icon, url_name, permission in PAGES:
            if group != title or not request.user.has_perm(permission):
                continue
            try:
                items.append({"title": item_title, "icon": icon, "link": reverse(url_name)})
            except NoReverseMatch:
                continue
        if items:
            groups.append({"title": title, "separator": True, "collapsible": False, "items": items})
    return groups


def sidebar_navigation(request) -> list[dict]:
    dashboard = {
        "title": "Back office",
        "separator": False,
        "items": [
            {"title": "Dashboard", "icon": "dashboard", "link": reverse("admin:index")},
            {"title": "Search", "icon": "search", "link": reverse("admin:global_search")},
        ],
    }
    return [dashboard, *navigation_items(request)]
