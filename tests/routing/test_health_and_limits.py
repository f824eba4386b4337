"""The circuit breaker (opens on provider errors, is recorded in the decision, closes after a
probe succeeds), per-connector metrics at /metrics, live mode routing to configured accounts,
credentials and card numbers never in logs, and routing's one query on the confirm path."""

import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.connectors import observe, registry
from apps.connectors.base import Approved, HealthStatus
from apps.connectors.sandbox import SandboxAdapter
from apps.intents.models import Charge
from tests.intents.helpers import pay
from tests.routing.factories import ACTOR, rule_set, sandbox

SECRET = "whsec_never_show_this_secret_9876"


def test_breaker_opens_on_errors_and_routing_skips_the_connector(api, card, merchant):
    flaky = sandbox(merchant, "flaky", config={"fault": "http_503"})
    steady = sandbox(merchant, "steady")
    rule_set(merchant, rules=[{"name": "flaky_first", "connectors": [flaky.public_id, steady.public_id]}])
    for _ in range(observe.MIN_CALLS):
        assert pay(api, card()).json()["status"] == "succeeded"  # failed over to steady each time
    assert observe.circuit_state(flaky.public_id) == "open"
    body = pay(api, card()).json()
    charges = Charge.objects.filter(payment_intent__public_id=body["id"])
    assert [c.connector_id for c in charges] == [steady.pk]  # no attempt on the open circuit
    routing = charges.get().routing
    excluded = next(c for c in routing["candidates"] if c["connector"] == flaky.public_id)
    assert excluded["reason"] == "circuit_open" and excluded["circuit"] == "open"
    assert api.get(f"/v1/connectors/{flaky.public_id}").json()["circuit"] == "open"


def test_breaker_half_opens_after_the_cool_down_and_a_successful_probe_closes_it(merchant):
    con = sandbox(merchant, "c")
    now = 1_000_000.0
    for i in range(observe.MIN_CALLS):
        observe.circuit_record(con.public_id, ok=False, now=now + i)
    assert observe.circuit_state(con.public_id, now=now + 5) == "open"
    later = now + 5 + observe.OPEN_SECONDS + 1
    assert observe.circuit_state(con.public_id, now=later) == "half_open"
    assert observe.circuit_record(con.public_id, ok=False, now=later) == "open"  # probe failed: open again
    probe = later + observe.OPEN_SECONDS + 1
    assert observe.circuit_record(con.public_id, ok=True, now=probe) == "closed"
    # the failures before the close no longer count
    assert observe.circuit_record(con.public_id, ok=False, now=probe + 1) == "closed"


def test_a_successful_test_call_closes_an_open_circuit(api, merchant):
    con = sandbox(merchant, "c")
    observe.circuit_open(con.public_id)
    assert api.post(f"/v1/connectors/{con.public_id}/test").json()["ok"] is True
    assert observe.circuit_state(con.public_id) == "closed"


def test_per_connector_metrics_and_stats(api, card, merchant, client):
    con = sandbox(merchant, "metered")
    rule_set(merchant, rules=[{"name": "m", "connectors": [con.public_id]}])
    pay(api, card())
    pay(api, card("4000000000000002"))
    stats = observe.stats(con.public_id)
    assert stats["authorizations"] == 2 and stats["approved"] == 1 and stats["declined"] == 1
    assert stats["authorization_rate"] == 0.5
    body = client.get("/metrics").content.decode()
    assert (
        f'clearhouse_connector_calls_total{{connector="{con.public_id}",operation="authorize",outcome="approved",provider="sandbox"}}'
        in body
    )
    assert "clearhouse_connector_call_seconds_bucket" in body


def test_call_logs_never_hold_credentials_or_card_numbers(api, card, merchant):
    con = api.post(
        "/v1/connectors",
        {"type": "sandbox", "label": "logged", "credentials": {"webhook_secret": SECRET}},
        format="json",
    ).json()["id"]
    api.post("/v1/routing/rule_sets", {"name": "r", "rules": [{"name": "r", "connectors": [con]}], "activate": True},
             format="json")  # fmt: skip
    numbers = ["4242424242424242", "4000000000000002", "5555555555554444"]
    for number in numbers:
        pay(api, card(number))
    api.post(f"/v1/connectors/{con}/test")
    logs = api.get(f"/v1/connectors/{con}/logs").json()["data"]
    assert {row["operation"] for row in logs} >= {"authorize", "health"}
    text = json.dumps(logs)
    for number in numbers:
        assert number not in text and number[-8:] not in text
    assert SECRET not in text and SECRET[-12:] not in text
    assert observe.redact({"card": {"number": "4242424242424242"}, "note": "pan 4242 4242 4242 4242"}) == {
        "card": {"number": "[redacted]"}, "note": "pan [redacted]",
    }  # fmt: skip


class LiveAcquirer(SandboxAdapter):
    """A live-mode provider for this test: the sandbox's behaviour under another type."""

    code = "test_live_acquirer"
    test_mode = False
    live_mode = True
    credential_fields = ("api_key",)

    def authorize(self, request):
        assert self.credentials["api_key"] == "sk_live_provider_key_1234"
        return Approved(gateway_reference=f"live_{request.idempotency_key[:20]}", amount=request.amount)

    def health(self):
        return HealthStatus(ok=True, latency_ms=1)


@pytest.fixture
def live_provider():
    registry.register(LiveAcquirer)
    yield LiveAcquirer
    registry.unregister(LiveAcquirer.code)


def test_live_mode_routes_to_configured_connectors(client_for, merchant, live_provider):
    from apps.connectors.services import connector_create
    from tests.intents.helpers import make_card

    live = client_for(merchant, livemode=True)
    pm = make_card(merchant, livemode=True)
    refused = live.post("/v1/payment_intents", {"amount": 900, "currency": "usd", "payment_method": pm.public_id,
                                                "confirm": True}, format="json")  # fmt: skip
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "no_connector_available"
    assert live.post("/v1/connectors", {"type": "sandbox", "label": "x"}, format="json").status_code == 400
    con = connector_create(merchant=merchant, livemode=True, type=live_provider.code, label="Live", actor=ACTOR,
                           credentials={"api_key": "sk_live_provider_key_1234"})  # fmt: skip
    resp = live.post("/v1/payment_intents", {"amount": 900, "currency": "usd", "payment_method": pm.public_id,
                                             "confirm": True}, format="json")  # fmt: skip
    assert resp.status_code == 200, resp.content
    charge = Charge.objects.get(public_id=resp.json()["latest_charge"])
    assert charge.connector_id == con.pk and charge.routing["matched_by"] == "fallback"


def _confirm_queries(api, pm) -> int:
    body = {"amount": 1999, "currency": "usd", "payment_method": pm.public_id, "confirm": True}
    api.post("/v1/payment_intents", body, format="json")  # warm the caches
    with CaptureQueriesContext(connection) as ctx:
        resp = api.post("/v1/payment_intents", body, format="json")
    assert resp.json()["status"] == "succeeded"
    return len(ctx.captured_queries)


def test_routing_adds_one_query_to_confirm_with_or_without_rules(api, card, merchant):
    from apps.routing.selectors import routing_context

    pm = card()
    implicit = _confirm_queries(api, pm)  # the implicit sandbox account, no rule set
    a, b = sandbox(merchant, "a"), sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "ab", "split": [{"connector": a.public_id, "weight": 1},
                                                      {"connector": b.public_id, "weight": 1}]}])  # fmt: skip
    routed = _confirm_queries(api, pm)
    assert routed == implicit
    routing_context(merchant=merchant, livemode=False)  # warm
    with CaptureQueriesContext(connection) as ctx:
        connectors, snapshot = routing_context(merchant=merchant, livemode=False)
    assert len(ctx.captured_queries) == 1 and snapshot["rules"][0]["name"] == "ab" and len(connectors) == 3


def test_the_probe_task_closes_a_cooled_down_circuit(merchant, monkeypatch):
    import time

    from apps.connectors.tasks import probe_circuits_task

    cooled = sandbox(merchant, "cooled")
    hot = sandbox(merchant, "still open")
    observe.circuit_open(cooled.public_id, now=time.time() - observe.OPEN_SECONDS - 1)
    observe.circuit_open(hot.public_id)
    result = probe_circuits_task.delay().get()
    assert result == {"probed": 1, "closed": 1}
    assert observe.circuit_state(cooled.public_id) == "closed"
    assert observe.circuit_state(hot.public_id) == "open"


def test_one_recorded_call_on_redis_writes_what_the_per_key_helpers_write(merchant, monkeypatch):
    """record_call's one-script path (Redis) against the per-key helpers (another cache): the
    same counters, the same bucket count and the same log, read back newest first — including
    a log slot the helpers wrote (django-redis' own encoding) next to the script's JSON."""
    if observe._redis_client() is None:
        pytest.skip("Redis cache only")
    scripted, helpers = sandbox(merchant, "scripted"), sandbox(merchant, "helpers")
    calls = [("authorize", Approved(gateway_reference="g1", amount=100), 12),
             ("capture", None, 7), ("authorize", Approved(gateway_reference="g2", amount=5), 30),
             ("health", HealthStatus(ok=True, latency_ms=3, detail="ok"), 3)]  # fmt: skip
    for operation, result, latency in calls:
        observe.record_call(
            scripted, operation=operation, result=result, latency_ms=latency, request={"n": 1}
        )
    with monkeypatch.context() as m:
        m.setattr(observe, "_redis_client", lambda: None)
        for operation, result, latency in calls:
            observe.record_call(
                helpers, operation=operation, result=result, latency_ms=latency, request={"n": 1}
            )
    assert observe.stats(scripted.public_id) == observe.stats(helpers.public_id)
    assert observe.stats(scripted.public_id)["authorizations"] == 2
    assert observe._window(scripted.public_id, time.time()) == observe._window(helpers.public_id, time.time())
    assert observe._window(scripted.public_id, time.time())[0] >= 3  # authorize, capture, authorize
    ours, theirs = observe.call_log(scripted.public_id), observe.call_log(helpers.public_id)
    assert [r["operation"] for r in ours] == ["health", "authorize", "capture", "authorize"]
    assert [r["seq"] for r in ours] == [4, 3, 2, 1]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "created"} for r in rows]  # noqa: E731
    assert strip(ours) == strip(theirs)
    assert observe.circuit_state(scripted.public_id) == "closed"
    with monkeypatch.context() as m:  # a helper-written slot among the script's
        m.setattr(observe, "_redis_client", lambda: None)
        observe.record_call(scripted, operation="void", result=None, latency_ms=1)
    assert [r["seq"] for r in observe.call_log(scripted.public_id)] == [5, 4, 3, 2, 1]
    observe.record_call(scripted, operation="capture", result=None, latency_ms=1)
    assert [r["operation"] for r in observe.call_log(scripted.public_id, limit=2)] == ["capture", "void"]


def test_a_failed_call_through_the_script_opens_the_circuit(merchant):
    if observe._redis_client() is None:
        pytest.skip("Redis cache only")
    con = sandbox(merchant, "failing")
    for _ in range(observe.MIN_CALLS):
        observe.record_call(con, operation="capture", result=None, latency_ms=observe.SLOW_CALL_MS)
    assert observe.circuit_state(con.public_id) == "open"
    assert observe._window(con.public_id, time.time()) == (observe.MIN_CALLS, observe.MIN_CALLS)
