from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ApplicationError
from apps.ledger.services import exchange_rates_import_csv, exchange_rates_refresh


class Command(BaseCommand):
    help = (
        "Import exchange rates from a CSV (base,quote,rate,as_of), or --provider to run LEDGER_FX_PROVIDER."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="CSV file; '-' reads stdin")
        parser.add_argument("--provider", action="store_true", help="fetch from the configured provider")

    def handle(self, *args, path=None, provider=False, **options):
        if provider:
            count = exchange_rates_refresh()
        elif path:
            text = self.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
            try:
                count = exchange_rates_import_csv(text)
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        else:
            raise CommandError("Give a CSV path or --provider.")
        self.stdout.write(self.style.SUCCESS(f"{count} rate(s) recorded."))
