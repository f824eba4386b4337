"""Prints the GraphQL schema (SDL); `--write` updates the checked-in copy the tests compare with."""

from pathlib import Path

from django.core.management.base import BaseCommand

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"


class Command(BaseCommand):
    help = "Print the read-only GraphQL schema; --write updates apps/devtools/graphql/schema.graphql."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true")

    def handle(self, *args, write=False, **options):
        from apps.devtools.graphql.schema import schema

        sdl = schema.as_str() + "\n"
        if write:
            SCHEMA_FILE.write_text(sdl)
            self.stdout.write(f"wrote {SCHEMA_FILE}")
        else:
            self.stdout.write(sdl, ending="")
