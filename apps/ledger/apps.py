from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"

    def ready(self):
        from .approvals import register_approval_kind

        register_approval_kind()
