from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "apps.reporting"
    label = "reporting"

    def ready(self):
        from apps.webhooks.catalog import register_event_types

        # Stripe's report-run events (reporting.report_run.*).
        register_event_types("reporting.report_run.succeeded", "reporting.report_run.failed")

        # The payout bridge's residuals: reconciliation sits below reporting, so reporting reads its
        # selector (reconciliation cannot import reporting's registry).
        from apps.reconciliation.selectors import settlement_residuals

        from .registry import register_settlement_residuals

        register_settlement_residuals(settlement_residuals)
