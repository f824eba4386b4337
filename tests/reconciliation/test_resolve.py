import pytest
from django.contrib.auth.models import Group

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.ledger.models import JournalEntry
from apps.reconciliation.errors import DiscrepancyActionInvalid, ResolutionNoteMissing
from apps.reconciliation.models import Discrepancy, LedgerItem
from apps.reconciliation.services import discrepancy_resolve

from .factories import charge_paid, ingest_acquirer_file, ingest_bank_statement, run, sandbox_fee_rule, today

pytestmark = pytest.mark.django_db


def _finance(django_user_model, name):
    user = django_user_model.objects.create_user(username=name, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user


def _day_with(api, merchant, *amounts):
    sandbox_fee_rule()
    for amount in amounts:
        charge_paid(api, merchant, amount)
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])
    return run()


def test_every_injected_fault_is_its_discrepancy_type_with_a_field_diff(api, merchant):
    _day_with(api, merchant, 2091, 2092, 2093, 2094, 2096, 2097, 2098)
    open_types = sorted(Discrepancy.objects.filter(status="open").values_list("type", flat=True))
    assert open_types == [
        "amount_under",
        "currency_mismatch",
        "duplicate_line",
        "fee_mismatch",
        "missing",
        "payout_mismatch",
        "unknown_reference",
    ]
    fee = Discrepancy.objects.get(type="fee_mismatch")
    assert fee.diffs == [{"field": "fee", "ours": 41, "theirs": 66, "difference": 25}]
    currency = Discrepancy.objects.get(type="currency_mismatch")
    assert {"field": "currency", "ours": "USD", "theirs": "EUR"} in currency.diffs
    payout = Discrepancy.objects.get(type="payout_mismatch")
    assert payout.difference == -100 and payout.diffs[0]["field"] == "bank_credit"


def test_tolerance_accepts_rounding(api, merchant):
    from apps.reconciliation.models import Tolerance

    Tolerance.objects.create(currency="USD", amount=5)
    _day_with(api, merchant, 2092)
    assert not Discrepancy.objects.filter(type__startswith="amount").exists()
    assert LedgerItem.objects.get().status == "matched"


def test_write_off_is_maker_checker_and_posts_a_balanced_clearing_adjustment(
    api, merchant, django_user_model, django_capture_on_commit_callbacks
):
    _day_with(api, merchant, 2092)
    discrepancy = Discrepancy.objects.get(type="amount_under")
    maker, checker = _finance(django_user_model, "maker"), _finance(django_user_model, "checker")

    waiting = discrepancy_resolve(
        discrepancy_id=discrepancy.pk,
        action="write_off",
        note="acquirer short 3 cents",
        actor=Actor.staff(maker),
    )
    assert waiting.status == "open" and waiting.approval_id
    assert not JournalEntry.objects.filter(source_type="reconciliation").exists()

    approval = ApprovalRequest.objects.get(public_id=waiting.approval_id)
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(
            approval_id=approval.public_id, approve=True, user=checker, reason="checked the file"
        )

    discrepancy.refresh_from_db()
    assert discrepancy.status == "resolved" and discrepancy.resolution == "written_off"
    entry = JournalEntry.objects.get(source_type="reconciliation", source_id=discrepancy.public_id)
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-3, 3]
    assert AuditEntry.objects.filter(
        action="reconciliation.discrepancy_written_off", object_id=discrepancy.public_id
    ).exists()
    rerun = run()
    assert rerun.open_discrepancies == 0 and LedgerItem.objects.get().status == "matched"


def test_ignore_needs_a_note_is_audited_and_keeps_the_item_in_matching(api, merchant):
    _day_with(api, merchant, 2091)
    missing = Discrepancy.objects.get(type="missing")
    with pytest.raises(ResolutionNoteMissing):
        discrepancy_resolve(discrepancy_id=missing.pk, action="ignore", note=" ", actor=Actor.system("t"))
    with pytest.raises(DiscrepancyActionInvalid):
        discrepancy_resolve(discrepancy_id=missing.pk, action="write_off", note="x", actor=Actor.system("t"))
    discrepancy_resolve(
        discrepancy_id=missing.pk, action="ignore", note="known outage", actor=Actor.system("t")
    )
    missing.refresh_from_db()
    assert missing.resolution == "ignored"
    entry = AuditEntry.objects.get(action="reconciliation.discrepancy_ignored")
    assert "stay in automatic matching" in entry.after["effect"]
    run()  # the cause persists: the decision stands, no second discrepancy
    assert Discrepancy.objects.filter(type="missing").count() == 1


def test_edit_line_reference_rematches_on_the_next_run_keeping_the_raw_row(api, merchant):
    _day_with(api, merchant, 2097)  # an extra line with an unknown reference
    unknown = Discrepancy.objects.get(type="unknown_reference")
    line = unknown.line
    discrepancy_resolve(
        discrepancy_id=unknown.pk,
        action="edit_line",
        note="typo by acquirer",
        actor=Actor.system("t"),
        edits={"psp_reference": "sbxch_doesnotexist"},
    )
    line.refresh_from_db()
    assert line.edited == {"psp_reference": "sbxch_doesnotexist"} and line.psp_reference.endswith("x")
    run()
    # Still unknown under its new reference: the resolved one stands, and says what it did.
    assert Discrepancy.objects.get(pk=unknown.pk).resolution == "line_edited"


def test_create_the_missing_ledger_entry_of_an_unknown_line_books_it_and_pins_it(api, merchant, settings):
    settings.RECONCILIATION_APPROVAL_THRESHOLD = 10_000  # below it, no second finance member needed
    _day_with(api, merchant, 2097)  # the acquirer settles an extra line nobody sent
    unknown = Discrepancy.objects.get(type="unknown_reference")
    resolved = discrepancy_resolve(
        discrepancy_id=unknown.pk,
        action="create_entry",
        note="acquirer's manual sale",
        actor=Actor.system("t"),
    )
    assert resolved.status == "resolved" and resolved.resolution == "entry_created"
    entry = JournalEntry.objects.get(public_id=resolved.adjustment_entry_id)
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-2097, 2097]  # balanced
    item = LedgerItem.objects.get(entry=entry)
    assert (item.line_id, item.pinned, item.status, item.amount) == (unknown.line_id, True, "matched", 2097)
    assert (
        "pinned to the line"
        in AuditEntry.objects.get(action="reconciliation.discrepancy_entry_created").after["effect"]
    )
    rerun = run()  # the pair stays matched; the line is no longer unknown
    assert rerun.open_discrepancies == 0
    assert Discrepancy.objects.filter(type="unknown_reference").count() == 1
    item.refresh_from_db()
    assert item.status == "matched" and item.line_id == unknown.line_id


def test_create_entry_of_a_settled_decline_waits_for_a_second_finance_member(
    api, merchant, django_user_model, django_capture_on_commit_callbacks
):
    from tests.intents.helpers import make_card, pay

    sandbox_fee_rule()
    assert pay(api, make_card(merchant, "4000000000000002"), amount=2089).status_code == 402
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])
    run()
    mismatch = Discrepancy.objects.get(type="status_mismatch")
    maker, checker = _finance(django_user_model, "maker"), _finance(django_user_model, "checker")
    waiting = discrepancy_resolve(discrepancy_id=mismatch.pk, action="create_entry", note="settled after all",
                                  actor=Actor.staff(maker))  # fmt: skip
    assert waiting.status == "open" and waiting.approval_id
    assert not JournalEntry.objects.filter(source_type="reconciliation").exists()
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(approval_id=waiting.approval_id, approve=True, user=checker, reason="seen it")
    mismatch.refresh_from_db()
    assert mismatch.resolution == "entry_created" and mismatch.item.line_id == mismatch.line_id
    assert run().open_discrepancies == 0


@pytest.mark.django_db(transaction=True)
def test_a_resolve_action_waits_while_a_pass_decides_and_goes_through_after(api, merchant):
    """A pass's decisions are made from what it read at its start: an action committed in between
    would be overwritten, so the two take turns (services/turns.py)."""
    import threading

    from django.db import OperationalError, connection, transaction

    from apps.reconciliation.services.turns import pass_turn

    _day_with(api, merchant, 2092)
    discrepancy = Discrepancy.objects.get(type="amount_under")
    held, release = threading.Event(), threading.Event()

    def a_pass_in_flight():
        try:
            with transaction.atomic():
                pass_turn()
                held.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=a_pass_in_flight)
    thread.start()
    try:
        assert held.wait(20)
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            discrepancy_resolve(
                discrepancy_id=discrepancy.pk, action="ignore", note="known", actor=Actor.system("t")
            )
    finally:
        release.set()
        thread.join(20)
    discrepancy.refresh_from_db()
    assert discrepancy.status == "open"
    resolved = discrepancy_resolve(discrepancy_id=discrepancy.pk, action="ignore", note="known",
                                   actor=Actor.system("t"))  # fmt: skip
    assert resolved.status == "resolved" and resolved.resolution == "ignored"
