from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "apps.reporting"
    label = "reporting"

    def ready(self):
        from apps.webhooks.catalog import register_event_types

        # Stripe's report-run events (reporting.report_run.*).
        register_event_types("reporting.report_run.succeeded", "reporting.report_run.failed")

        from .registry import register_settlement_residuals
        from .residuals import reconciliation_residuals

        register_settlement_residuals(reconciliation_residuals)
