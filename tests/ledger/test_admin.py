"""Back office: balances, journal browser (read-only), payouts queue actions with a reason,
exchange-rate CSV import, adjustment requests through the approval queue."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.models import AuditEntry
from apps.ledger.models import ExchangeRate, JournalEntry
from apps.ledger.selectors import ledger_available_balance
from apps.ledger.services import ledger_post_capture
from apps.payouts import services as payouts
from tests.admin.staff import staff_user
from tests.ledger.factories import fund
from tests.payouts.factories import ACTOR, us_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    user = staff_user("finance", "fiona")
    client.force_login(user)
    client.user = user
    return client


def test_balances_and_journal_browser_render_and_are_read_only(finance, merchant):
    result = ledger_post_capture(
        merchant=merchant,
        livemode=False,
        charge_id="ch_admin",
        amount=1_234,
        currency="USD",
        connector_code="sandbox",
    )
    page = finance.get(reverse("admin:ledger_account_changelist"), {"kind": "pending"}).content.decode()
    assert "12.34 USD" in page and "Acme Books" in page
    entry = result.entry
    url = reverse("admin:ledger_journalentry_changelist")
    account_id = entry.postings.first().account_id
    assert entry.public_id in finance.get(url, {"account": account_id}).content.decode()
    assert entry.public_id in finance.get(url, {"kind__exact": "capture"}).content.decode()
    detail = finance.get(reverse("admin:ledger_journalentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and "-12.34 USD" in detail.content.decode()
    assert finance.get(reverse("admin:ledger_journalentry_add")).status_code == 403
    assert finance.post(reverse("admin:ledger_journalentry_delete", args=[entry.pk])).status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_finance_marks_a_payout_failed_with_a_reason(finance, merchant):
    fund(merchant, 5_000)
    us_bank(merchant)
    payout = payouts.payout_create(
        merchant=merchant, livemode=False, amount=5_000, currency="USD", actor=ACTOR
    )
    queue = finance.get(
        reverse("admin:payouts_payout_changelist"), {"status__exact": "pending"}
    ).content.decode()
    assert payout.public_id in queue
    url = reverse("admin:payouts_payout_act", args=[payout.pk, "fail"])
    assert finance.get(url).status_code == 200
    resp = finance.post(url, {"reason": "bank says account frozen", "failure_code": "declined"})
    assert resp.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.failure_code) == ("failed", "declined")
    assert ledger_available_balance(merchant=merchant, livemode=False, currency="USD") == 5_000
    entry = AuditEntry.objects.get(action="payout.marked_failed", object_id=payout.public_id)
    assert entry.reason == "bank says account frozen" and entry.actor_label == "fiona"


def test_support_cannot_act_on_payouts(client, merchant):
    fund(merchant, 5_000)
    us_bank(merchant)
    payout = payouts.payout_create(
        merchant=merchant, livemode=False, amount=5_000, currency="USD", actor=ACTOR
    )
    client.force_login(staff_user("support"))
    assert (
        client.post(
            reverse("admin:payouts_payout_act", args=[payout.pk, "cancel"]), {"reason": "x"}
        ).status_code
        == 403
    )


def test_large_payout_goes_through_the_approval_queue(finance, merchant, django_capture_on_commit_callbacks):
    fund(merchant, 50_000)
    us_bank(merchant)
    merchant.settings.payout_approval_threshold = 10_000
    merchant.settings.save()
    payout = payouts.payout_create(
        merchant=merchant, livemode=False, amount=40_000, currency="USD", actor=ACTOR
    )
    approval = ApprovalRequest.objects.get(target_id=payout.public_id)
    assert payout.approval_request_id == approval.public_id
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(
            approval_id=approval.public_id, approve=True, user=finance.user, reason="known"
        )
    payout.refresh_from_db()
    assert payout.approval == "approved"


def test_adjustment_needs_a_second_approver(finance, merchant, django_capture_on_commit_callbacks):
    url = reverse("admin:ledger_account_request_adjustment")
    data = {"merchant": merchant.pk, "currency": "USD", "amount": "25.00", "reason": "goodwill credit"}
    review = finance.post(url, data)
    # Typed in major units; the confirm step repeats it in words, and nothing is requested yet.
    assert "Credit 25.00 USD to" in review.content.decode()
    assert not ApprovalRequest.objects.exists()
    resp = finance.post(url, {**data, "confirmed": "1"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    approval = ApprovalRequest.objects.get(kind="balance_adjustment")
    assert ledger_available_balance(merchant=merchant, livemode=False, currency="USD") == 0
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(
            approval_id=approval.public_id, approve=True, user=staff_user("finance"), reason="ok"
        )
    approval.refresh_from_db()
    assert approval.status == "executed", approval.error
    assert ledger_available_balance(merchant=merchant, livemode=False, currency="USD") == 2_500
    assert JournalEntry.objects.filter(kind="adjustment", source_id=approval.public_id).count() == 1


def test_exchange_rates_csv_import(finance):
    csv_file = SimpleUploadedFile(
        "rates.csv", b"base,quote,rate,as_of\nEUR,USD,1.0850,2026-11-01T00:00:00Z\n"
    )
    resp = finance.post(reverse("admin:ledger_exchangerate_import"), {"file": csv_file})
    assert resp.status_code == 302
    assert ExchangeRate.objects.get().source == "csv"
