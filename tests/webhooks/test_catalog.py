"""The event-type catalogue (apps/webhooks/catalog.py) knows every type the code emits, and an
endpoint subscribing to an unknown one is refused by name."""

import re
from pathlib import Path

import pytest

from apps.webhooks import catalog

APPS = Path(__file__).resolve().parents[2] / "apps"
# A string literal handed to one of the functions that write events.
_EMITTED = re.compile(
    r"\b(?:event_record|events_record|intent_event|charge_event|_event|_payout_event|_refund_event)\("
    r"[^()]{0,400}?\"([a-z_]+(?:\.[a-z_]+)+)\"",
    re.S,
)


def test_every_event_type_written_in_the_source_is_in_the_catalogue():
    found = set()
    for path in APPS.rglob("*.py"):
        found.update(_EMITTED.findall(path.read_text()))
    assert len(found) > 15
    assert found - catalog.EVENT_TYPES == set()


@pytest.mark.parametrize("pattern", ["*", "payment_intent.succeeded", "payment_intent.*", "charge.dispute.*"])
def test_known_types_and_prefixes(pattern):
    assert catalog.is_known(pattern)


@pytest.mark.parametrize(
    "pattern", ["payment.succeded", "payment_intent.succeded", "nothing.*", "payment_intent"]
)
def test_unknown_types_and_prefixes(pattern):
    assert not catalog.is_known(pattern)


@pytest.mark.django_db
def test_endpoint_with_a_misspelt_type_is_refused_with_a_suggestion(api):
    resp = api.post(
        "/v1/webhook_endpoints",
        {"url": "https://example.com/h", "enabled_events": ["charge.succeeded", "payment_intent.succeded"]},
        format="json",
    )
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["param"] == "enabled_events[1]"
    assert "payment_intent.succeeded" in error["message"]
