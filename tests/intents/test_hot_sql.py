"""The one-statement path (apps/core/sql.py, apps/intents/sql.py, apps/ledger/sql.py) leaves the
rows the ORM path leaves: the same sequence of API calls runs once with ``INTENTS_HOT_SQL`` on
and once off, each for its own merchant, and every row of every table the money path writes is
compared after the values that differ by nature (keys, ids, times, random references) are
replaced by placeholders in order of first appearance."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEntry
from apps.core.models import IdempotencyKey
from apps.intents.models import Charge, ChargeReference, PaymentIntent
from apps.ledger.models import BalanceTransaction, CaptureRecord, JournalEntry, Posting
from apps.risk.models import RiskDecision
from apps.webhooks.models import Event
from tests.intents.helpers import make_card, path_of, pay
from tests.merchants.factories import MerchantFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Columns whose values differ between two runs by nature, not by path (the sandbox draws a
# risk score per attempt).
VOLATILE = {
    "id", "created_at", "updated_at", "request_id", "ip_address", "evaluation_us", "authorization_code",
    "network_transaction_id", "gateway_reference", "actor_label", "key", "client_secret", "request_hash",
    "request_fingerprint", "locked_until", "expires_at", "risk_score",
}  # fmt: skip
_ID = re.compile(r"\b(?:[a-z]{2,4})_[0-9A-HJKMNP-TV-Z]{26}\b")
_RANDOM = re.compile(
    r"\b[a-z]{2,8}_[a-z0-9]{12,}\b|_secret_[A-Za-z0-9_-]+|(?<=fingerprint\": \")[^\"]+"
    r"|(?<=\"authorization_code\": \")[^\"]+"
)
_RANDOM_NUMBER = re.compile(r"(?<=\"evaluation_us\": )\d+|(?<=risk_score\": )\d+")
_EPOCH = re.compile(r"\b1[0-9]{9}\b")
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


class _Normalizer:
    """Public ids and foreign keys become ordinals in order of first appearance, so two runs
    compare equal exactly when they wrote the same rows pointing at the same relative rows."""

    def __init__(self):
        self.seen: dict[str, str] = {}

    def token(self, kind: str, value) -> str:
        key = f"{kind}:{value}"
        if key not in self.seen:
            self.seen[key] = f"<{kind}{sum(k.startswith(kind + ':') for k in self.seen)}>"
        return self.seen[key]

    def text(self, value: str) -> str:
        value = _RANDOM_NUMBER.sub("0", _RANDOM.sub("<r>", value))
        value = _ID.sub(lambda m: self.token(m.group(0).split("_")[0], m.group(0)), value)
        return _EPOCH.sub("0", _ISO.sub("<t>", value))

    def row(self, row: dict) -> str:
        out = {}
        for column, value in sorted(row.items()):
            if column in VOLATILE:
                continue
            if column.endswith("_id") and isinstance(value, int):
                value = self.token(column, value)
            elif isinstance(value, datetime.datetime | datetime.date):
                value = "<dt>"
            elif isinstance(value, Decimal):
                value = str(value)
            out[column] = value
        return self.text(json.dumps(out, sort_keys=True, default=str))


def _dump(merchant) -> dict[str, list[str]]:
    norm = _Normalizer()
    entries = JournalEntry.objects.filter(merchant=merchant)
    tables = {
        "intents": PaymentIntent.objects.filter(merchant=merchant),
        "charges": Charge.objects.filter(merchant=merchant),
        "journal_entries": entries,
        "postings": Posting.objects.filter(entry__in=entries),
        "balance_transactions": BalanceTransaction.objects.filter(merchant=merchant),
        "capture_records": CaptureRecord.objects.filter(merchant=merchant),
        "audit": AuditEntry.objects.filter(merchant=merchant).exclude(action__startswith="api_key."),
        "events": Event.objects.filter(merchant=merchant),
        "idempotency": IdempotencyKey.objects.filter(merchant=merchant),
        "risk_decisions": RiskDecision.objects.filter(merchant=merchant),
        # the side table the triggers write (its key leads with the random reference)
        "charge_references": ChargeReference.objects.filter(charge__merchant=merchant).order_by("charge_id"),
    }
    return {
        name: [norm.row(r) for r in (qs if qs.ordered else qs.order_by("pk")).values()]
        for name, qs in tables.items()
    }


def _api(merchant):
    from rest_framework.test import APIClient

    from tests.merchants.factories import api_key_create

    _, plaintext = api_key_create(merchant, kind="secret", livemode=False, scopes=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def _sequence(merchant) -> list:
    """create+confirm → succeeded (and its idempotent replay), a decline, create then confirm,
    manual capture then capture, 3DS requires_action then completion, processing error."""
    api = _api(merchant)
    visa = make_card(merchant)
    answers = []
    body = {"amount": 1999, "currency": "usd", "payment_method": visa.public_id, "confirm": True}
    first = api.post("/v1/payment_intents", body, format="json", HTTP_IDEMPOTENCY_KEY="k-succeeds")
    replay = api.post("/v1/payment_intents", body, format="json", HTTP_IDEMPOTENCY_KEY="k-succeeds")
    assert replay.json() == first.json()
    answers.append(first.status_code)
    answers.append(pay(api, make_card(merchant, "4000000000000002"), amount=1500).status_code)
    created = api.post("/v1/payment_intents", {"amount": 2500, "currency": "usd", "payment_method": visa.public_id},
                       format="json").json()  # fmt: skip
    answers.append(api.post(f"/v1/payment_intents/{created['id']}/confirm", {}, format="json").status_code)
    manual = pay(api, visa, amount=4000, capture_method="manual").json()
    answers.append(manual["status"])
    capture = api.post(
        f"/v1/payment_intents/{manual['id']}/capture", {"amount_to_capture": 3000}, format="json"
    )
    answers.append(capture.json()["status"])
    three_ds = pay(
        api, make_card(merchant, "4000000000003220"), amount=3300, return_url="https://shop.example/back"
    )
    body = three_ds.json()
    answers.append(body["status"])
    if body["status"] == "requires_action":
        Client().post(path_of(body["next_action"]["redirect_to_url"]["url"]), {"action": "authenticate"})
    answers.append(api.get(f"/v1/payment_intents/{body['id']}").json()["status"])
    answers.append(pay(api, make_card(merchant, "4000000000000119"), amount=1200).status_code)
    return answers


def test_hot_sql_and_orm_paths_leave_the_same_rows():
    assert connection.vendor == "postgresql"
    runs = {}
    for hot in (True, False):
        merchant = MerchantFactory(name=f"Rows {hot}")
        with override_settings(INTENTS_HOT_SQL=hot):
            answers = _sequence(merchant)
        runs[hot] = (answers, _dump(merchant))
    assert runs[True][0] == runs[False][0] == [200, 402, 200, "requires_capture", "succeeded",
                                               "requires_action", "succeeded", 402]  # fmt: skip
    hot_rows, orm_rows = runs[True][1], runs[False][1]
    for table in orm_rows:
        assert orm_rows[table], f"the sequence wrote no {table}: the comparison would prove nothing"
        assert len(hot_rows[table]) == len(orm_rows[table]), table
        for hot_row, orm_row in zip(hot_rows[table], orm_rows[table], strict=True):
            hot_cols, orm_cols = _flat(json.loads(hot_row)), _flat(json.loads(orm_row))
            differing = {k: (hot_cols.get(k), orm_cols.get(k)) for k in orm_cols | hot_cols
                         if hot_cols.get(k) != orm_cols.get(k)}  # fmt: skip
            assert not differing, (table, differing)


def _flat(value, prefix: str = "") -> dict:
    """{"a": {"b": 1}} → {"a.b": 1}: a differing row names the differing leaf."""
    if isinstance(value, dict) and value:
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def test_the_comparison_sees_a_changed_column():
    """The normalizer keeps what the paths decide: a different fee is a different row."""
    merchant = MerchantFactory(name="Rows check")
    pay(_api(merchant), make_card(merchant), amount=1999)
    before = _dump(merchant)
    CaptureRecord.objects.filter(merchant=merchant).update(fee=1)
    assert _dump(merchant)["capture_records"] != before["capture_records"]


def test_hot_path_is_taken_on_postgresql():
    """On PostgreSQL with the setting on, step 3 of a confirm is its lock and one write statement."""
    merchant = MerchantFactory(name="Rows count")
    api = _api(merchant)
    visa = make_card(merchant)
    pay(api, visa, amount=100)  # warm caches
    with override_settings(INTENTS_HOT_SQL=True), CaptureQueriesContext(connection) as ctx:
        assert pay(api, visa, amount=1999).json()["status"] == "succeeded"
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum(s.startswith('WITH w0 AS (INSERT INTO "ledger_journalentry"') for s in sql) == 1
    assert not any(s.startswith('INSERT INTO "ledger_posting"') for s in sql)
    with override_settings(INTENTS_HOT_SQL=False), CaptureQueriesContext(connection) as ctx:
        assert pay(api, visa, amount=1999).json()["status"] == "succeeded"
    assert not any(q["sql"].startswith("WITH w0") for q in ctx.captured_queries)


class _Crash(Exception):
    """The process dies during the provider call."""


@pytest.mark.parametrize("hot", [True, False])
def test_step_one_is_durable_before_the_provider_call(hot):
    """Risk's decision and the card read's audit entry are committed with the attempt before any
    provider call, on both paths: a crash in the call leaves them (and the submitting charge)."""
    from unittest import mock

    from apps.audit.services import Actor
    from apps.connectors import gateway
    from apps.intents.services import payment_intent_create

    merchant = MerchantFactory(name=f"Crash {hot}")
    visa = make_card(merchant)
    with (
        override_settings(INTENTS_HOT_SQL=hot),
        mock.patch.object(gateway, "authorize", side_effect=_Crash),
        CaptureQueriesContext(connection) as ctx,
        pytest.raises(_Crash),
    ):
        payment_intent_create(merchant=merchant, livemode=False, actor=Actor.system("tests"), amount=1999,
                              currency="usd", payment_method=visa.public_id, confirm=True)  # fmt: skip
    charge = Charge.objects.get(merchant=merchant)
    assert charge.status == Charge.Status.SUBMITTING
    decision = RiskDecision.objects.get(merchant=merchant)
    assert (decision.charge_id, decision.payment_intent_id) == (charge.pk, charge.payment_intent_id)
    assert (
        AuditEntry.objects.filter(
            merchant=merchant, action="vault.detokenize", object_id=visa.public_id
        ).count()
        == 1
    )
    separate = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(('INSERT INTO "risk_riskdecision"',
                                                                              'INSERT INTO "audit_auditentry"'))]  # fmt: skip
    assert bool(separate) is not hot  # the hot path carries both in the attempt's one statement
