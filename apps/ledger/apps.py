from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"

    def ready(self):
        from .approvals import register_approval_kind

        register_approval_kind()
        from apps.core import clock

        from .services import ledger_settle_all_due

        # Pending funds becoming available, on a test clock's time (apps.core.clock).
        clock.register_sweeper(
            "ledger.settlement", lambda now, scope: ledger_settle_all_due(now=now, scope=scope), order=30
        )
