"""Rewrites docs/providers.md from the adapters' capability matrices (apps.connectors.providers_table)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.connectors.providers_table import DOCUMENT, providers_markdown


class Command(BaseCommand):
    help = "Regenerate docs/providers.md (the provider-by-operation table)."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / DOCUMENT
        path.write_text(providers_markdown(), encoding="utf-8")
        self.stdout.write(f"wrote {path}")
