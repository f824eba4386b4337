"""Developer platform: sandbox simulation, bulk jobs, GraphQL, diagnostics (issue 20)."""

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "apps.devtools"
    label = "devtools"

    def ready(self):
        from .approvals import register_approval_kind

        register_approval_kind()
