from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "apps.approvals"
    label = "approvals"

    def ready(self):
        from .executors import register_default_kinds

        register_default_kinds()
