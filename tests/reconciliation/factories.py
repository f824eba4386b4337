"""Helpers of the reconciliation tests: real payments through the API on the sandbox acquirer,
its real settlement file through the gateway, the sandbox bank's camt.053 statement."""

import datetime as dt

from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors import gateway
from apps.connectors.models import Connector
from apps.connectors.sandbox.settlement import bank_statement_camt053
from apps.connectors.sandbox.store import DatabaseStore
from apps.intents.models import Charge
from apps.reconciliation.models import AcquirerFeeRule, ReconciliationRun
from apps.reconciliation.services import (
    reconciliation_run_create,
    reconciliation_run_execute,
    settlement_file_ingest,
)
from tests.intents.helpers import make_card, pay

ACTOR = Actor.system("tests")


def today() -> dt.date:
    return timezone.now().date()


def sandbox_fee_rule(currency="USD"):
    return AcquirerFeeRule.objects.get_or_create(
        connector_code="sandbox", currency=currency, defaults={"percent_bp": 150, "fixed_amount": 10}
    )[0]


def charge_paid(api, merchant, amount=2000, currency="usd", number="4242424242424242") -> Charge:
    response = pay(api, make_card(merchant, number), amount=amount, currency=currency)
    assert response.status_code == 200, response.json()
    return Charge.objects.get(public_id=response.json()["latest_charge"])


def refund(api, charge: Charge, amount: int):
    response = api.post("/v1/refunds", {"charge": charge.public_id, "amount": amount}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def ingest_acquirer_file(merchant, date=None):
    connector = Connector.objects.get(merchant=merchant, code="sandbox", livemode=False)
    filename, content, fmt = gateway.fetch_settlement_file(connector=connector, date=date or today())
    return settlement_file_ingest(
        content=content, fmt=fmt, filename=filename, actor=ACTOR, connector_code="sandbox"
    )


def ingest_bank_statement(dates):
    content = bank_statement_camt053(DatabaseStore(), dates)
    return settlement_file_ingest(content=content, fmt="camt053", filename="bank.xml", actor=ACTOR)


def run(start=None, end=None, *, as_of=None) -> ReconciliationRun:
    start = start or today()
    end = end or start + dt.timedelta(days=1)
    created = reconciliation_run_create(interval_start=start, interval_end=end, actor=ACTOR, connector_code="sandbox",
                                        as_of=as_of or start + dt.timedelta(days=10), enqueue=False)  # fmt: skip
    return reconciliation_run_execute(run_id=created.pk)
