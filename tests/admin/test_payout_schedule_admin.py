"""The payout schedule's admin: one minimum per currency typed in that currency's major units
(50.00 USD, 500 JPY, 5.000 KWD) and stored in its minor units; shown formatted in the list; the
legacy single minimum only where set, labelled as raw minor units, and droppable."""

import pytest
from django.urls import reverse

from apps.audit.services import Actor
from apps.payouts import services
from apps.payouts.models import PayoutSchedule
from tests.admin.staff import staff_user
from tests.payouts.factories import us_bank

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


@pytest.fixture
def schedule(merchant):
    us_bank(merchant, currency="USD")
    us_bank(merchant, "000123456780", currency="JPY")
    return services.payout_schedule_get(merchant=merchant, livemode=False)


def _form(schedule, **changes):
    data = {"interval": "daily", "weekly_anchor": "monday", "monthly_anchor": "1",
            "minimum_JPY": "0", "minimum_USD": "0.00", "add_currency": "", "add_minimum": ""}  # fmt: skip
    data.update(changes)
    return data


def test_minimums_are_typed_in_major_units_of_each_currency(client, schedule):
    client.force_login(staff_user("admin"))
    url = reverse("admin:payouts_payoutschedule_change", args=[schedule.pk])
    page = client.get(url).content.decode()
    assert 'name="minimum_USD"' in page and 'name="minimum_JPY"' in page and 'data-currency="JPY"' in page
    assert 'name="minimum_amount"' not in page  # the raw minor-unit number is not a field
    resp = client.post(url, _form(schedule, minimum_USD="50.00", minimum_JPY="500", add_currency="KWD",
                                  add_minimum="5.125"))  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    schedule.refresh_from_db()
    assert schedule.minimum_amounts == {"JPY": 500, "KWD": 5125, "USD": 5000}
    assert schedule.interval == "daily"
    listing = client.get(reverse("admin:payouts_payoutschedule_changelist")).content.decode()
    assert "50.00 USD" in listing and "500 JPY" in listing and "5.125 KWD" in listing
    # The KWD minimum now has its own field, prefilled in KWD.
    again = client.get(url).content.decode()
    assert 'name="minimum_KWD"' in again and 'value="5.125"' in again


def test_too_many_decimals_and_negative_minimums_are_refused_beside_the_field(client, schedule):
    client.force_login(staff_user("admin"))
    url = reverse("admin:payouts_payoutschedule_change", args=[schedule.pk])
    for changes, message in (
        ({"minimum_JPY": "500.5"}, "JPY amounts have at most 0 decimal place(s)."),
        ({"minimum_USD": "-1"}, "Enter an amount that is not negative."),
        ({"add_currency": "KWD", "add_minimum": "1.2345"}, "KWD amounts have at most 3 decimal place(s)."),
        ({"add_minimum": "5"}, "Choose the currency of this minimum."),
    ):
        resp = client.post(url, _form(schedule, **changes))
        assert resp.status_code == 200 and message in resp.content.decode(), changes
    schedule.refresh_from_db()
    assert schedule.minimum_amounts == {}


def test_the_legacy_single_minimum_is_shown_as_raw_minor_units_and_can_be_dropped(client, schedule, merchant):
    services.payout_schedule_update(
        merchant=merchant, livemode=False, changes={"minimum_amount": 5000}, actor=ACTOR
    )
    client.force_login(staff_user("admin"))
    url = reverse("admin:payouts_payoutschedule_change", args=[schedule.pk])
    page = client.get(url).content.decode()
    assert "5000 minor units (legacy API value)" in page and 'name="clear_legacy_minimum"' in page
    # Prefilled with what applies today: the legacy 5000 read in each currency's units.
    assert 'value="50.00"' in page and 'value="5000"' in page
    resp = client.post(
        url, _form(schedule, minimum_USD="50.00", minimum_JPY="5000", clear_legacy_minimum="on")
    )
    assert resp.status_code == 302
    schedule = PayoutSchedule.objects.get(pk=schedule.pk)
    assert (schedule.minimum_amount, schedule.minimum_amounts) == (0, {"JPY": 5000, "USD": 5000})
