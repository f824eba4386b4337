from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "apps.refunds"
    label = "refunds"

    def ready(self):
        from .approvals import register_approval_kind

        register_approval_kind()
