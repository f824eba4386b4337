from datetime import UTC, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.reporting.services import daily_metrics_rollup


class Command(BaseCommand):
    help = "Roll up the dashboard's daily figures for the last N days (today excluded: it is live)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=35)

    def handle(self, *args, **options):
        today = timezone.now().astimezone(UTC).date()
        days = [today - timedelta(days=i) for i in range(1, options["days"] + 1)]
        rows = daily_metrics_rollup(days=days)
        self.stdout.write(self.style.SUCCESS(f"Rolled up {len(days)} day(s), {rows} row(s)."))
