"""The workbench's registry: an app registers a timeline source or a header button in a few lines,
and its entries appear on the payment's page; a broken source shows as one entry, not a 500."""

import pytest
from django.urls import reverse

from apps.backoffice import timeline
from apps.intents.models import PaymentIntent
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry_snapshot():
    sources, buttons = dict(timeline._SOURCES), dict(timeline._BUTTONS)
    yield
    timeline._SOURCES.clear()
    timeline._SOURCES.update(sources)
    timeline._BUTTONS.clear()
    timeline._BUTTONS.update(buttons)


def test_a_registered_source_and_button_show_on_the_workbench(client, api, merchant, registry_snapshot):
    intent = PaymentIntent.objects.get(public_id=pay(api, make_card(merchant)).json()["id"])

    @timeline.timeline_source("risk-test")
    def risk(intent):
        yield timeline.TimelineEntry(at=intent.created_at, kind="risk", title="Risk: allow (score 12)")

    @timeline.timeline_source("broken-test")
    def broken(intent):
        raise RuntimeError("boom")

    @timeline.workbench_button("review-test")
    def review(request, intent):
        return timeline.WorkbenchButton(label="Review hold", url="/admin/risk/")

    client.force_login(staff_user("support", "sue"))
    response = client.get(reverse("admin:intents_paymentintent_change", args=[intent.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-kind="risk"' in page and "Risk: allow (score 12)" in page
    assert "broken-test entries are unavailable" in page
    assert 'id="action-review-test"' in page and "Review hold" in page
    # The built-in sources are there too, oldest first.
    kinds = [e.kind for e in timeline.payment_timeline(intent)]
    assert {"attempt", "capture", "audit", "ledger", "risk"} <= set(kinds)
    ats = [e.at for e in timeline.payment_timeline(intent)]
    assert ats == sorted(ats)
