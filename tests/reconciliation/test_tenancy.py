"""A reference that belongs to another merchant is, for the merchant whose file holds it, an
unknown reference: it never matches that merchant's ledger item, and the discrepancy says nothing
about the other merchant (not its charge's status, amount, ids nor its merchant)."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.intents.models import Charge
from apps.reconciliation.models import Discrepancy, LedgerItem

from .factories import charge_paid, run, today

pytestmark = pytest.mark.django_db


def _own_file(*lines: tuple[str, str, int]) -> bytes:
    day = today().isoformat()
    rows = [
        "settlement_date,record_type,psp_reference,merchant_reference,currency,gross,fee,net,payout_reference"
    ]
    for psp, mref, amount in lines:
        rows.append(f"{day},capture,{psp},{mref},USD,{amount / 100:.2f},0.00,{amount / 100:.2f},OWN-PO-1")
    return ("\n".join(rows) + "\n").encode()


def test_another_merchants_reference_in_my_file_is_an_unknown_reference_that_leaks_nothing(
    api, merchant, client_for, other_merchant, django_capture_on_commit_callbacks
):
    other_api = client_for(other_merchant)
    theirs = charge_paid(other_api, other_merchant, 3000)
    # A failed attempt of the other merchant's, whose status must not show up as a status mismatch.
    failed = charge_paid(other_api, other_merchant, 3100)
    Charge.objects.filter(pk=failed.pk).update(status="failed")
    content = _own_file(
        (theirs.gateway_reference, "order-1", 3000),  # their gateway reference
        ("acq-unknown-2", theirs.public_id, 3000),  # their charge id as the merchant reference
        (failed.gateway_reference, "order-3", 3100),
    )
    uploaded = api.post(
        "/v1/settlements/upload",
        {"file": SimpleUploadedFile("own.csv", content, "text/csv"), "format": "sandbox_csv"},
        format="multipart",
    )
    assert uploaded.status_code == 200 and uploaded.json()["status"] == "processed", uploaded.json()
    interval = {
        "interval_start": today().isoformat(),
        "interval_end": (today() + dt.timedelta(days=1)).isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/v1/reconciliations", interval, format="json").json()
    listed = api.get(f"/v1/reconciliations/{created['id']}/discrepancies").json()["data"]
    assert sorted(d["type"] for d in listed) == ["unknown_reference"] * 3
    assert all(d["ledger"] is None for d in listed)
    text = json.dumps(listed)
    for secret in (other_merchant.public_id, theirs.payment_intent.public_id, failed.payment_intent.public_id,
                   "succeeded", "failed"):  # fmt: skip
        assert secret not in text
    # The platform's own pass (staff, as of T+10) agrees: the other merchant's item never takes my
    # line — it stays without one and is missing past the SLA.
    run()
    mine = Discrepancy.objects.filter(type="unknown_reference", status="open")
    assert mine.count() == 3 and set(mine.values_list("merchant_id", flat=True)) == {merchant.pk}
    for charge in (theirs,):
        item = LedgerItem.objects.get(source_id=charge.public_id, kind="capture")
        assert item.line_id is None and item.status == "missing"
        assert Discrepancy.objects.get(item=item).type == "missing"
    assert not Discrepancy.objects.filter(merchant=other_merchant).exclude(type="missing").exists()
    # And the other merchant sees none of it.
    assert other_api.get(f"/v1/reconciliations/{created['id']}").status_code == 404
