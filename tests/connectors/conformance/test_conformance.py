"""The conformance suite: one list of scenarios (``recordings.SCENARIOS``) run against every real
provider the registry finds in ``apps/connectors/adapters/``, each replaying that provider's
recorded HTTP exchanges (``tests/connectors/adapters/<code>/conformance.py``). A scenario is
skipped only when the provider's capability matrix says it does not support it; a provider
without recordings fails ``test_every_provider_has_recordings``.
"""

from __future__ import annotations

import importlib

import pytest
import responses

from apps.audit.services import Actor
from apps.connectors import declines, registry
from apps.connectors.base import (
    Approved,
    Declined,
    InboundEvent,
    InboundWebhookError,
    Pending,
    RequiresAction,
    RetryableError,
)
from apps.connectors.capabilities import supports

from .recordings import SCENARIOS, ConformanceRecordings, Scenario, replay

ACTOR = Actor.system("conformance")


def _providers() -> list[str]:
    return [cls.code for cls in registry.provider_classes()]


def _recordings(code: str) -> ConformanceRecordings:
    module = importlib.import_module(f"tests.connectors.adapters.{code}.conformance")
    return module.Recordings()


def _flows(cls) -> set[str] | None:
    flows = cls.matrix().get("flows")
    return None if flows is None else set(flows)


def _direct(cls) -> bool:
    flows = _flows(cls)
    return flows is None or "direct" in flows


def _redirect_flow(cls) -> bool:
    flows = _flows(cls)
    return flows is not None and bool(flows & {"redirect", "qr", "deep_link"})


# scenario → the capability that must hold for it to run (None: always)
REQUIRES = {
    "approve": None,
    "decline": None,
    "three_ds_round_trip": lambda cls: cls.matrix()["three_d_secure"] or _redirect_flow(cls),
    "partial_capture": lambda cls: cls.matrix()["manual_capture"] and cls.matrix()["partial_capture"],
    "void": lambda cls: supports(cls.capabilities, "void"),
    "partial_refund": lambda cls: cls.matrix()["refunds"] and cls.matrix()["partial_refunds"],
    "refund_failure": lambda cls: cls.matrix()["refunds"],
    "timeout_then_lookup": lambda cls: cls.matrix()["lookup"],
    "timeout_then_lookup_capture": lambda cls: (
        cls.matrix()["manual_capture"] and cls.matrix()["lookup_capture"]
    ),
    "timeout_then_lookup_void": lambda cls: (
        supports(cls.capabilities, "void") and cls.matrix()["lookup_void"]
    ),
    "timeout_then_lookup_refund": lambda cls: cls.matrix()["refunds"] and cls.matrix()["lookup_refund"],
    "callback_good_signature": lambda cls: cls.matrix()["webhooks"],
    "callback_bad_signature": lambda cls: cls.matrix()["webhooks"],
    "duplicate_callback": lambda cls: cls.matrix()["webhooks"],
    "settlement_report_parse": lambda cls: cls.matrix()["settlement_reports"],
}


def _cases():
    return [
        pytest.param(code, scenario, id=f"{code}-{scenario}")
        for code in _providers()
        for scenario in SCENARIOS
        if scenario != "duplicate_callback"  # test_conformance_duplicate_callback: it needs the database
    ]


def test_the_suite_covers_every_scenario_once():
    assert set(REQUIRES) == set(SCENARIOS) and len(SCENARIOS) == 15


@pytest.mark.parametrize("code", _providers())
def test_every_provider_has_recordings(code):
    recordings = _recordings(code)
    assert recordings.provider == code
    cls = registry.adapter_class(code)
    missing = []
    for name in SCENARIOS:
        if REQUIRES[name] is not None and not REQUIRES[name](cls):
            continue
        if name in ("callback_good_signature", "callback_bad_signature", "duplicate_callback"):
            if not (callable(getattr(recordings, "callback", None)) and recordings.callback_expect):
                missing.append(name)
        elif not callable(getattr(recordings, name, None)):
            missing.append(name)
    assert not missing, f"{code} supports {missing} but records no exchanges for them"


@pytest.fixture
def adapter_for():
    def make(recordings: ConformanceRecordings):
        cls = registry.adapter_class(recordings.provider)
        return cls(
            credentials=dict(recordings.credentials),
            livemode=recordings.livemode,
            config=dict(recordings.config),
        )

    return make


def _scenario(recordings, name) -> Scenario:
    method = getattr(recordings, name, None)
    if method is None:
        pytest.fail(f"{recordings.provider} records no '{name}' scenario though its matrix supports it")
    return method()


def _run(recordings, adapter, scenario: str):
    """Runs one scenario's operations on the (unwrapped) adapter and checks the answers."""
    if scenario in ("callback_good_signature", "callback_bad_signature", "duplicate_callback"):
        # a provider that verifies a callback by reading it back (FIB) records those exchanges
        rec = Scenario(exchanges=recordings.callback_exchanges(scenario))
    else:
        rec = _scenario(recordings, scenario)
    cls = type(adapter)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        if rec is not None:
            replay(mock, rec.exchanges)
        globals()[f"_check_{scenario}"](recordings, adapter, rec, cls)


def _via_redirect(recordings, adapter, rec, name):
    request = recordings.request(name, **rec.inputs.get("request", {}))
    action = adapter.start_redirect(request)
    assert isinstance(action, RequiresAction), action
    assert action.url.startswith("https://") or action.qr_data
    return adapter.confirm_redirect(request, reference=action.reference, payload=rec.inputs["return_payload"])


def _check_approve(recordings, adapter, rec, cls):
    if _direct(cls):
        result = adapter.authorize(recordings.request("approve", **rec.inputs.get("request", {})))
    else:
        result = _via_redirect(recordings, adapter, rec, "approve")
    assert isinstance(result, Approved), result
    assert result.gateway_reference == rec.expect["gateway_reference"]
    assert result.amount in (None, recordings.amount)


def _check_decline(recordings, adapter, rec, cls):
    if _direct(cls):
        result = adapter.authorize(recordings.request("decline", **rec.inputs.get("request", {})))
    else:
        result = _via_redirect(recordings, adapter, rec, "decline")
    assert isinstance(result, Declined), result
    assert result.decline_code == rec.expect["decline_code"]
    verdict = declines.classify(cls.code, result.decline_code, result.code)
    assert verdict == rec.expect["verdict"], (result.decline_code, verdict)
    assert result.message


def _check_three_ds_round_trip(recordings, adapter, rec, cls):
    request = recordings.request("three_ds_round_trip", **rec.inputs.get("request", {}))
    if cls.matrix()["three_d_secure"]:
        action = adapter.authorize(request)
        assert isinstance(action, RequiresAction) and action.three_ds, action
        assert action.url.startswith("https://") and action.reference
        result = adapter.complete_3ds(
            request, reference=action.reference, payload=rec.inputs["return_payload"]
        )
    else:
        action = adapter.start_redirect(request)
        assert isinstance(action, RequiresAction), action
        assert action.reference and (action.url.startswith("https://") or action.qr_data)
        result = adapter.confirm_redirect(
            request, reference=action.reference, payload=rec.inputs["return_payload"]
        )
    assert isinstance(result, Approved), result
    assert result.gateway_reference == rec.expect["gateway_reference"]


def _check_partial_capture(recordings, adapter, rec, cls):
    request = recordings.request("partial_capture", capture=False, **rec.inputs.get("request", {}))
    auth = adapter.authorize(request)
    assert isinstance(auth, Approved), auth
    amount = rec.inputs["capture_amount"]
    assert 0 < amount < recordings.amount
    captured = adapter.capture(
        idempotency_key="ch_conf_partial_capture:capture", gateway_reference=auth.gateway_reference,
        amount=amount, currency=recordings.currency,
    )  # fmt: skip
    assert isinstance(captured, Approved), captured
    assert captured.amount == amount


def _check_void(recordings, adapter, rec, cls):
    result = adapter.void(
        idempotency_key="ch_conf_void:void", gateway_reference=rec.inputs["gateway_reference"],
        amount=recordings.amount, currency=recordings.currency,
    )  # fmt: skip
    assert isinstance(result, Approved), result


def _check_partial_refund(recordings, adapter, rec, cls):
    amount = rec.inputs["refund_amount"]
    assert 0 < amount < recordings.amount
    result = adapter.refund(
        idempotency_key="re_conf_partial_refund", gateway_reference=rec.inputs["gateway_reference"],
        amount=amount, currency=recordings.currency,
    )  # fmt: skip
    assert isinstance(result, (Approved, Pending)), result
    assert result.gateway_reference == rec.expect["gateway_reference"]
    if isinstance(result, Approved):
        assert result.amount == amount


def _check_refund_failure(recordings, adapter, rec, cls):
    result = adapter.refund(
        idempotency_key="re_conf_refund_failure", gateway_reference=rec.inputs["gateway_reference"],
        amount=rec.inputs["refund_amount"], currency=recordings.currency,
    )  # fmt: skip
    assert isinstance(result, Declined), result
    assert result.decline_code == rec.expect["decline_code"] and result.message


def _check_timeout_then_lookup(recordings, adapter, rec, cls):
    request = recordings.request("timeout_then_lookup", **rec.inputs.get("request", {}))
    first = adapter.authorize(request) if _direct(cls) else adapter.start_redirect(request)
    assert isinstance(first, RetryableError) and first.outcome_unknown, first
    found = adapter.lookup(operation="authorize", idempotency_key=request.idempotency_key)
    assert isinstance(found, (Approved, Pending)), found
    assert found.gateway_reference == rec.expect["gateway_reference"]
    assert adapter.lookup(operation="authorize", idempotency_key=rec.inputs["unknown_key"]) is None


# our keys of follow-ups, as the services make them (charge "<ch>:<operation>", refund "<re>:refund")
FOLLOW_UP_KEYS = {
    "capture": "ch_conf_follow_up:capture",
    "void": "ch_conf_follow_up:void",
    "refund": "re_conf_follow_up:refund",
}


def _check_follow_up_lookup(operation, recordings, adapter, rec, cls):
    """A capture / void / refund times out; the lookup of that operation on its payment finds
    what the provider did, and a key it never received is None."""
    parent, key = rec.inputs["gateway_reference"], FOLLOW_UP_KEYS[operation]
    first = getattr(adapter, operation)(
        idempotency_key=key, gateway_reference=parent, amount=rec.inputs.get("amount", recordings.amount),
        currency=recordings.currency,
    )  # fmt: skip
    assert isinstance(first, RetryableError) and first.outcome_unknown, first
    found = adapter.lookup(operation=operation, idempotency_key=key, reference=parent)
    assert isinstance(found, (Approved, Pending)), found
    assert found.gateway_reference == rec.expect["gateway_reference"]
    unknown = adapter.lookup(
        operation=operation, idempotency_key=rec.inputs["unknown_key"],
        reference=rec.inputs.get("unknown_reference", parent),
    )  # fmt: skip
    assert unknown is None, unknown


def _check_timeout_then_lookup_capture(recordings, adapter, rec, cls):
    _check_follow_up_lookup("capture", recordings, adapter, rec, cls)


def _check_timeout_then_lookup_void(recordings, adapter, rec, cls):
    _check_follow_up_lookup("void", recordings, adapter, rec, cls)


def _check_timeout_then_lookup_refund(recordings, adapter, rec, cls):
    _check_follow_up_lookup("refund", recordings, adapter, rec, cls)


def _check_callback_good_signature(recordings, adapter, rec, cls):
    body, headers = recordings.callback()
    event = adapter.parse_inbound_webhook(body=body, headers=headers)
    assert isinstance(event, InboundEvent)
    expect = recordings.callback_expect
    assert event.type == expect["type"]
    assert event.gateway_reference == expect["gateway_reference"]
    assert event.provider_event_id == expect["provider_event_id"]
    assert event.livemode == recordings.livemode
    if "amount" in expect:
        assert (event.amount, event.currency.upper()) == (expect["amount"], expect["currency"])


def _check_callback_bad_signature(recordings, adapter, rec, cls):
    body, headers = recordings.tamper(*recordings.callback())
    with pytest.raises(InboundWebhookError) as caught:
        adapter.parse_inbound_webhook(body=body, headers=headers)
    assert caught.value.code == "signature_invalid"


def _check_settlement_report_parse(recordings, adapter, rec, cls):
    lines = adapter.fetch_settlement_report(date=rec.inputs["date"])
    assert len(lines) == rec.expect["count"]
    totals: dict[str, tuple[int, int]] = {}
    for line in lines:
        assert isinstance(line.amount, int) and isinstance(line.fee, int)
        amount, fee = totals.get(line.currency.upper(), (0, 0))
        totals[line.currency.upper()] = (amount + line.amount, fee + line.fee)
    assert totals == rec.expect["totals"]
    assert {line.type for line in lines} == set(rec.expect["types"])


@pytest.mark.parametrize(("code", "scenario"), _cases())
def test_conformance(code, scenario, adapter_for):
    cls = registry.adapter_class(code)
    needs = REQUIRES[scenario]
    if needs is not None and not needs(cls):
        pytest.skip(f"{code}'s capability matrix does not support {scenario}")
    recordings = _recordings(code)
    _run(recordings, adapter_for(recordings), scenario)


@pytest.mark.parametrize("code", _providers())
def test_conformance_duplicate_callback(code, merchant):
    """The same signed callback twice through the real inbound pipeline: one event, one duplicate."""
    if not REQUIRES["duplicate_callback"](registry.adapter_class(code)):
        pytest.skip(f"{code}'s capability matrix has no webhooks")
    _check_duplicate_callback(_recordings(code), merchant)


def _check_duplicate_callback(recordings, merchant):
    from apps.connectors.services import connector_create
    from apps.webhooks.models import InboundWebhook
    from apps.webhooks.services.inbound import inbound_webhook_receive

    connector = connector_create(
        merchant=merchant, livemode=recordings.livemode, type=recordings.provider, label="conformance",
        actor=ACTOR, credentials=dict(recordings.credentials), config=dict(recordings.config),
    )  # fmt: skip
    body, headers = recordings.callback()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        replay(mock, recordings.callback_exchanges("duplicate_callback"))
        first = inbound_webhook_receive(connector_ref=connector.public_id, body=body, headers=dict(headers))
        second = inbound_webhook_receive(connector_ref=connector.public_id, body=body, headers=dict(headers))
    assert not first.duplicate and second.duplicate
    assert second.webhook.duplicate_of_id == first.webhook.pk
    rows = InboundWebhook.objects.filter(connector=connector)
    assert rows.count() == 2
    assert first.webhook.provider_event_id == recordings.callback_expect["provider_event_id"]


@pytest.mark.parametrize("code", _providers())
def test_unsupported_operations_answer_not_supported_and_send_nothing(code, adapter_for):
    """Whatever the matrix leaves out answers "not supported" without an HTTP call (the mock
    has nothing registered, so any call would fail the test)."""
    from apps.connectors.base import NOT_SUPPORTED, OperationNotSupported

    cls = registry.adapter_class(code)
    adapter = adapter_for(_recordings(code))
    follow_up = {"idempotency_key": "k", "gateway_reference": "ref", "amount": 100, "currency": "EUR"}
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        for operation in ("capture", "void", "refund"):
            if not supports(cls.capabilities, operation):
                result = getattr(adapter, operation)(**follow_up)
                assert isinstance(result, Declined) and result.code == NOT_SUPPORTED
        for operation in ("capture", "void", "refund"):
            if not cls.matrix()[f"lookup_{operation}"]:
                result = adapter.lookup(
                    operation=operation, idempotency_key=f"k:{operation}", reference="ref"
                )
                assert isinstance(result, RetryableError) and result.outcome_unknown, (operation, result)
                assert result.code == "lookup_not_supported"
        if not cls.matrix()["settlement_reports"]:
            with pytest.raises(OperationNotSupported):
                adapter.fetch_settlement_report(date=__import__("datetime").date(2026, 1, 5))
        if not cls.matrix()["webhooks"]:
            with pytest.raises(InboundWebhookError):
                adapter.parse_inbound_webhook(body=b"{}", headers={})
