"""docs/providers.md is what the capability matrices say (regenerate: python manage.py providers_table)."""

from pathlib import Path

from django.conf import settings

from apps.connectors import registry
from apps.connectors.providers_table import DOCUMENT, providers_markdown


def test_the_committed_provider_table_is_the_generated_one():
    committed = (Path(settings.BASE_DIR) / DOCUMENT).read_text(encoding="utf-8")
    assert committed == providers_markdown(), (
        "docs/providers.md is stale: run python manage.py providers_table"
    )


def test_every_registered_provider_has_a_row_and_a_section():
    text = providers_markdown()
    for cls in registry.adapter_classes():
        assert f"(`{cls.code}`) |" in text and f"### {cls.display_name or cls.code} (`{cls.code}`)" in text
