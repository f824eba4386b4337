"""Developer platform: sandbox simulation, bulk jobs, GraphQL, diagnostics (issue 20)."""

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "apps.devtools"
    label = "devtools"

    def ready(self):
        from apps.core import health

        from .approvals import register_approval_kind
        from .operations import connector_health_report

        register_approval_kind()
        # Shown on /ready, never failing it (a provider being down does not make this node unready).
        health.register("connectors", connector_health_report)
