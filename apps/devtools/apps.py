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

        from apps.core import clock
        from apps.webhooks.catalog import register_event_types

        from .services.clocks import active_clock_windows

        # The owners' beat tasks leave the objects that run on a test clock to its advances.
        clock.register_clock_source(active_clock_windows)
        register_event_types(
            "test_helpers.test_clock.created",
            "test_helpers.test_clock.advancing",
            "test_helpers.test_clock.ready",
            "test_helpers.test_clock.internal_failure",
            "test_helpers.test_clock.deleted",
        )
