"""Settlement sync and three-way reconciliation (issue 14)."""

from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "apps.reconciliation"
    label = "reconciliation"

    def ready(self) -> None:
        from apps.connectors import settlement

        from .approvals import register_approval_kind
        from .services.sync import settlement_run_handover

        register_approval_kind()
        settlement.register(settlement_run_handover)
        from apps.core import clock

        from .services.sync import settlement_sync_clock

        # The settlement days a test clock's advance passes: their files and a run (apps.core.clock).
        clock.register_sweeper("reconciliation.settlement_days", settlement_sync_clock, order=50)
