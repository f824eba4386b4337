from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "apps.payouts"
    label = "payouts"

    def ready(self):
        from .approvals import register_approval_kind

        register_approval_kind()
