"""Verify an exported audit file against its hash chain (and its manifest when present)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit.export import verify_file


class Command(BaseCommand):
    help = "Verify an audit export file (CSV or JSON Lines): names the first row that was changed."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--manifest",
            help="Manifest JSON (default: <export id>.manifest.json next to the file, if present).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        manifest_path = Path(options["manifest"]) if options["manifest"] else None
        if manifest_path is None:
            candidate = path.with_name(f"{path.stem}.manifest.json")
            manifest_path = candidate if candidate.is_file() else None
        manifest = json.loads(manifest_path.read_text()) if manifest_path else None
        result = verify_file(path, manifest)
        if not result.ok:
            where = f"row {result.bad_row}" if result.bad_row else "header"
            if result.bad_line:
                where += f" (line {result.bad_line})"
            raise CommandError(
                f"FAILED: first bad row: {where}: {result.message}. {result.rows} row(s) before it verified."
            )
        checked = " and the manifest" if manifest else " (no manifest given: final hash not checked)"
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {result.rows} row(s), final hash {result.final_hash}; chain verified{checked}."
            )
        )
