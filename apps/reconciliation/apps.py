"""Settlement sync and three-way reconciliation (issue 14)."""

from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "apps.reconciliation"
    label = "reconciliation"

    def ready(self) -> None:
        from .approvals import register_approval_kind

        register_approval_kind()
