"""The daily settlement report (reporting) links a payout bridge's residual to reconciliation's
open discrepancies of the day, through the selector reporting registers."""

import datetime as dt

import pytest

from apps.reconciliation.models import Discrepancy

from .factories import charge_paid, sandbox_fee_rule, today

pytestmark = pytest.mark.django_db


def _interval():
    return {
        "interval_start": today().isoformat(),
        "interval_end": (today() + dt.timedelta(days=1)).isoformat(),
    }


def test_the_settlement_report_bridge_lists_the_days_open_discrepancies(
    api, merchant, client_for, other_merchant, django_capture_on_commit_callbacks
):
    sandbox_fee_rule()
    charge_paid(api, merchant, 2000)
    charge_paid(api, merchant, 2092)  # the sandbox settles it 3 cents short
    charge_paid(client_for(other_merchant), other_merchant, 3092)  # another merchant's, also short
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/v1/settlements/sync", _interval(), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/v1/reconciliations", _interval(), format="json").status_code == 202
    mine = Discrepancy.objects.get(merchant=merchant, status="open")
    report = api.get(f"/v1/reporting/settlement/{today().isoformat()}", {"timezone": "UTC"}).json()
    [usd] = [b for b in report["payout_bridge"] if b["currency"] == "usd"]
    assert usd["residuals"] == [
        {"discrepancy": mine.public_id, "type": "amount_under", "amount": -3, "status": "open",
         "description": "amount 20.92 USD vs 20.89 USD (\u22120.03 USD)"},
    ]  # fmt: skip
    # Resolved, it no longer explains a residual; the other merchant never sees this one.
    mine.status = "resolved"
    mine.save(update_fields=["status"])
    report = api.get(f"/v1/reporting/settlement/{today().isoformat()}", {"timezone": "UTC"}).json()
    assert all(b["residuals"] == [] for b in report["payout_bridge"])
    other = client_for(other_merchant).get(
        f"/v1/reporting/settlement/{today().isoformat()}", {"timezone": "UTC"}
    )
    assert mine.public_id not in other.content.decode()
