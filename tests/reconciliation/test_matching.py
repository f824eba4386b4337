import datetime as dt

import pytest

from apps.reconciliation.models import Discrepancy, LedgerItem, SettlementBatch

from .factories import (
    charge_paid,
    ingest_acquirer_file,
    ingest_bank_statement,
    refund,
    run,
    sandbox_fee_rule,
    today,
)

pytestmark = pytest.mark.django_db


def test_three_way_happy_path_matches_ledger_line_and_bank_credit(api, merchant):
    sandbox_fee_rule()
    charge = charge_paid(api, merchant, 2000)
    refund(api, charge, 500)
    assert ingest_acquirer_file(merchant).status == "processed"
    assert ingest_bank_statement([today()]).status == "processed"

    done = run()

    assert done.status == "completed", done.error
    items = LedgerItem.objects.filter(merchant=merchant)
    assert sorted(items.values_list("kind", "amount", "status")) == [
        ("capture", 2000, "matched"),
        ("refund", -500, "matched"),
    ]
    batch = SettlementBatch.objects.get()
    assert batch.net == 2000 - (30 + 10) - 500 and batch.bank_line.amount == batch.net
    assert not Discrepancy.objects.filter(status="open").exists()
    assert done.summary["open_total"] == 0 and done.matched == 2


def test_amount_off_by_three_cents_is_amount_under_with_its_field_diff(api, merchant):
    sandbox_fee_rule()
    charge_paid(api, merchant, 2092)
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])

    run()

    [discrepancy] = Discrepancy.objects.filter(status="open")
    assert discrepancy.type == "amount_under" and discrepancy.difference == -3
    assert {"field": "gross", "ours": 2092, "theirs": 2089, "difference": -3} in discrepancy.diffs
    assert discrepancy.merchant == merchant


def test_rerun_never_duplicates_discrepancies(api, merchant):
    sandbox_fee_rule()
    charge_paid(api, merchant, 2092)
    charge_paid(api, merchant, 2093)
    ingest_acquirer_file(merchant)
    first = run()
    before = sorted(Discrepancy.objects.values_list("public_id", "type", "status"))
    second = run()
    assert second.status == "completed"
    assert sorted(Discrepancy.objects.values_list("public_id", "type", "status")) == before
    assert {t for _, t, _ in before} >= {"amount_under", "fee_mismatch"}
    assert first.open_discrepancies == second.open_discrepancies


def test_late_line_shows_missing_after_the_sla_then_clears_on_its_own(api, merchant):
    charge_paid(api, merchant, 2095)
    day = today()
    ingest_acquirer_file(merchant, day)
    run(day, as_of=day + dt.timedelta(days=5))
    missing = Discrepancy.objects.get(type="missing")
    assert missing.status == "open"

    ingest_acquirer_file(merchant, day + dt.timedelta(days=1))
    run(day + dt.timedelta(days=1), as_of=day + dt.timedelta(days=5))

    missing.refresh_from_db()
    assert missing.status == "resolved" and missing.resolution == "cleared"
    assert LedgerItem.objects.get(kind="capture").status == "matched"


def test_within_the_sla_an_unsettled_item_is_expected_not_missing(api, merchant):
    charge_paid(api, merchant, 2091)
    ingest_acquirer_file(merchant)
    run(as_of=today())
    assert LedgerItem.objects.get().status == "expected"
    assert not Discrepancy.objects.exists()


def test_an_attempt_unknown_here_but_settled_is_rechecked_first_then_a_status_mismatch(
    api, merchant, time_machine
):
    from apps.intents.models import Charge
    from tests.intents.helpers import make_card, pay

    response = pay(
        api, make_card(merchant), amount=2500, metadata={"sandbox_fault": "timeout_after_processing"}
    )
    charge = Charge.objects.get(payment_intent__public_id=response.json()["id"])
    assert charge.status == "unknown"
    ingest_acquirer_file(merchant)

    run()  # too fresh for the janitor: the acquirer settled what Clearhouse does not know as paid
    mismatch = Discrepancy.objects.get(type="status_mismatch")
    assert mismatch.diffs == [{"field": "status", "ours": "unknown", "theirs": "settled"}]
    assert mismatch.merchant == merchant

    from django.utils import timezone

    time_machine.move_to(timezone.now() + dt.timedelta(minutes=10), tick=False)  # the re-check asks first
    run()
    charge.refresh_from_db()
    mismatch.refresh_from_db()
    assert charge.status == "succeeded"
    assert mismatch.status == "resolved" and mismatch.resolution == "cleared"
    assert LedgerItem.objects.get(entry__source_id=charge.public_id).status == "matched"


def test_sandbox_faults_89_and_90_are_a_status_mismatch_and_a_bank_credit_missing(api, merchant):
    """.89: the acquirer settles an authorization it declined (Clearhouse: a failed charge);
    .90: the day's EUR payout never reaches the bank statement (past the bank SLA)."""
    from apps.intents.models import Charge
    from apps.reconciliation.services.matching import bank_sla_days
    from tests.intents.helpers import make_card, pay

    sandbox_fee_rule()
    sandbox_fee_rule("EUR")
    declined = pay(api, make_card(merchant, "4000000000000002"), amount=2089)
    assert declined.status_code == 402
    failed = Charge.objects.get(payment_intent__public_id=declined.json()["error"]["payment_intent"]["id"])
    assert failed.status == "failed" and failed.gateway_reference
    charge_paid(api, merchant, 2090, currency="eur")
    charge_paid(api, merchant, 2000)  # the USD batch is paid as usual
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])

    run(as_of=today() + dt.timedelta(days=bank_sla_days()))  # on the SLA's last day: not missing yet
    assert not Discrepancy.objects.filter(type="bank_credit_missing").exists()
    run(as_of=today() + dt.timedelta(days=bank_sla_days() + 1))
    status = Discrepancy.objects.get(type="status_mismatch")
    assert status.diffs == [{"field": "status", "ours": "failed", "theirs": "settled"}]
    assert status.line.psp_reference == failed.gateway_reference and status.difference == 2089
    bank = Discrepancy.objects.get(type="bank_credit_missing", status="open")
    eur = SettlementBatch.objects.get(currency="EUR")
    assert (bank.currency, bank.batch, bank.difference) == ("EUR", eur, -eur.net)
    assert bank.diffs == [{"field": "bank_credit", "ours": eur.net, "theirs": None}]
    assert SettlementBatch.objects.get(currency="USD").bank_line_id is not None
    assert not Discrepancy.objects.filter(type="payout_mismatch").exists()
