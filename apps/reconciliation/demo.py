"""Demo reconciliation for `manage.py load_demo`, after the demo payments and payouts (ORDER):

* **yesterday, reconciled**: a few captures the ledger and the sandbox acquirer both recorded
  yesterday (posted with their capture time; the acquirer's books dated the same day);
* **today, every discrepancy type**: real payments through the intents services whose amounts
  select the sandbox's settlement faults (``apps/connectors/sandbox/settlement.py``: .91 missing,
  .92 amount off, .93 wrong fee, .94 duplicate, .95 late, .96 currency, .97 unknown reference,
  .98 payout short; .89 on a declined card, settled by the acquirer all the same: a status
  mismatch; .90 in EUR, whose bank credit never arrives: a bank credit missing);

then the settlement sync fetches both days' files through the gateway, the sandbox bank's camt.053
statement is ingested, and one run covers both days as of T+4 (past the settlement and the bank
SLAs, so missing and bank credit missing show).
Idempotent: does nothing once its run exists."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors.models import SandboxTransaction
from apps.connectors.sandbox.cards import STRIPE_TEST_IDS
from apps.connectors.sandbox.settlement import bank_statement_camt053
from apps.connectors.sandbox.store import DatabaseStore
from apps.core.errors import ApplicationError
from apps.core.ids import generate_id
from apps.ledger.services import ledger_post_capture

from .models import AcquirerFeeRule, ReconciliationRun, SettlementFile, Tolerance
from .services import (
    reconciliation_run_create,
    reconciliation_run_execute,
    settlement_file_ingest,
    settlement_sync,
)

ORDER = 70
ACTOR = Actor.system("load_demo")
FAULT_AMOUNTS = (4291, 4292, 4293, 4294, 4295, 4296, 4297, 4298)
DECLINED_CARD = STRIPE_TEST_IDS["chargeDeclined"]  # the sandbox's generic decline, from its test-card table
# (amount, currency, card): the faults that need their own currency or a declined card.
OTHER_FAULTS = ((4289, "USD", DECLINED_CARD), (4290, "EUR", ""))
CLEAN_AMOUNTS = (1200, 3450, 9900)


def _configure() -> None:
    for currency in ("USD", "EUR"):
        AcquirerFeeRule.objects.get_or_create(
            connector_code="sandbox", currency=currency, defaults={"percent_bp": 150, "fixed_amount": 10}
        )
    Tolerance.objects.get_or_create(currency="JPY", defaults={"amount": 1})


def _yesterday(merchant, day: dt.date) -> None:
    """Captures both sides recorded yesterday: the ledger's entry and the acquirer's operation."""
    at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)
    for index, amount in enumerate(CLEAN_AMOUNTS):
        charge_id = generate_id("ch")
        with transaction.atomic():
            ledger_post_capture(
                merchant=merchant, livemode=False, charge_id=charge_id, amount=amount, currency="USD",
                connector_code="sandbox", captured_at=at + dt.timedelta(minutes=index), description="Demo (yesterday)",
            )  # fmt: skip
        row = SandboxTransaction.objects.create(
            idempotency_key=f"{charge_id}:authorize", operation="authorize", reference=f"sbxch_demo{charge_id[-12:]}",
            status="approved", amount=amount, currency="USD", result={"raw": {"captured": True}},
        )  # fmt: skip
        SandboxTransaction.objects.filter(pk=row.pk).update(created_at=at + dt.timedelta(minutes=index))


def _today(merchant) -> None:
    from apps.connectors.sandbox.cards import DEFAULT_CARD
    from apps.intents.services import payment_intent_create
    from apps.vault.services import payment_method_create_card

    payments = [(amount, "USD", DEFAULT_CARD.number) for amount in FAULT_AMOUNTS]
    payments += [
        (amount, currency, number or DEFAULT_CARD.number) for amount, currency, number in OTHER_FAULTS
    ]
    for amount, currency, number in payments:
        pm = payment_method_create_card(merchant=merchant, livemode=False, actor=ACTOR, number=number,
                                        exp_month=12, exp_year=2034, cvc="123")  # fmt: skip
        try:
            payment_intent_create(merchant=merchant, livemode=False, actor=ACTOR, amount=amount, currency=currency,
                                  payment_method=pm.public_id, confirm=True,
                                  metadata={"order_id": f"demo-rec-{amount}"}, description="Demo (settlement fault)")  # fmt: skip
        except ApplicationError:  # the declined card: Clearhouse records a failed charge
            continue


def load(merchant, stdout) -> None:
    if ReconciliationRun.objects.filter(requested_by=ACTOR.label).exists():
        return
    _configure()
    today = timezone.now().date()
    yesterday = today - dt.timedelta(days=1)
    _yesterday(merchant, yesterday)
    _today(merchant)
    settlement_sync(start=yesterday, days=2, actor=ACTOR, run=False)
    statement = bank_statement_camt053(DatabaseStore(), [yesterday, today])
    if not SettlementFile.objects.filter(filename="demo-bank-statement.xml").exists():
        settlement_file_ingest(
            content=statement, fmt="camt053", filename="demo-bank-statement.xml", actor=ACTOR
        )
    run = reconciliation_run_create(interval_start=yesterday, interval_end=today + dt.timedelta(days=1),
                                    connector_code="sandbox", actor=ACTOR, as_of=today + dt.timedelta(days=4),
                                    enqueue=False)  # fmt: skip
    run = reconciliation_run_execute(run_id=run.pk)
    stdout.write(f"  reconciliation: {run.public_id} {run.status}, {run.matched} matched, "
                 f"{run.open_discrepancies} open discrepancies")  # fmt: skip
