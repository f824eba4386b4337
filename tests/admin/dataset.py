"""One object of (almost) every admin-registered model, built through the real services/API."""

from apps.audit.services import Actor, audit_export_request, audit_export_run
from apps.merchants.models import MerchantSettings
from tests.intents.helpers import make_card, make_customer, pay

ACTOR = Actor.system("tests")


def build(merchant, api, requester):
    from tests.payouts.conftest import fund, us_bank

    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=1000)
    customer = make_customer(merchant, email="ann@example.com")
    intent = pay(api, make_card(merchant, customer=customer), customer=customer.public_id, amount=5000).json()
    api.post("/v1/refunds", {"payment_intent": intent["id"], "amount": 500}, format="json")
    from apps.refunds.services import refund_create

    refund = refund_create(
        merchant=merchant,
        livemode=False,
        actor=Actor.staff(requester),
        payment_intent=intent["id"],
        amount=2000,
        reason="requested_by_customer",
    )
    api.post(
        "/v1/webhook_endpoints", {"url": "https://example.com/hooks", "enabled_events": ["*"]}, format="json"
    )
    fund(merchant, 100_000)
    us_bank(merchant)
    from apps.payouts.services import payout_create

    payout_create(merchant=merchant, livemode=False, amount=1000, currency="USD", actor=ACTOR)
    export = audit_export_run(export_id=audit_export_request(user=requester).pk)
    dispute = _dispute(merchant, api)
    _reconciliation(merchant, api)
    return {"intent": intent, "refund": refund, "export": export, "dispute": dispute}


def _dispute(merchant, api):
    """A 0259 payment and the dispute its sandbox acquirer's notification opens."""
    from apps.connectors.models import Connector
    from apps.connectors.sandbox import SandboxAdapter
    from apps.disputes.models import Dispute
    from apps.disputes.services import dispute_apply_inbound_event
    from apps.intents.models import Charge

    paid = pay(api, make_card(merchant, "4000000000000259")).json()
    charge = Charge.objects.get(public_id=paid["latest_charge"])
    adapter = SandboxAdapter()
    [(raw, headers)] = adapter.dispute_notifications(gateway_reference=charge.gateway_reference)
    event = adapter.parse_inbound_webhook(body=raw, headers=headers)
    connector = Connector.objects.get(pk=charge.connector_id)
    assert dispute_apply_inbound_event(connector=connector, event=event) == "applied"
    return Dispute.objects.get(charge=charge)


def _reconciliation(merchant, api):
    """A settled day with an amount mismatch: files, a batch, a run, a discrepancy, a closed period."""
    import datetime as dt

    from apps.reconciliation.models import AccountingPeriod, ColumnMapping, GLAccountMapping
    from tests.reconciliation.factories import (
        charge_paid,
        ingest_acquirer_file,
        ingest_bank_statement,
        run,
        today,
    )

    charge_paid(api, merchant, 2092)
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])
    run()
    ColumnMapping.objects.create(name="Bank CSV", source_kind="bank", columns={"booking_date": "Date"})
    GLAccountMapping.objects.create(account_kind="connector_clearing", gl_code="1200")
    AccountingPeriod.objects.create(start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 1))
