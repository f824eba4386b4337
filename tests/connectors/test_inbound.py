"""Inbound routing registry: owners register by event-type prefix; the longest prefix wins; an
event nobody owns is reported as ignored with its type."""

import datetime as dt

import pytest

from apps.connectors import inbound
from apps.connectors.base import InboundEvent


@pytest.fixture
def isolated_registry(monkeypatch):
    monkeypatch.setattr(inbound, "_HANDLERS", {})


def _event(type_: str) -> InboundEvent:
    return InboundEvent(
        provider_event_id="evt_provider_1",
        type=type_,
        gateway_reference="sbx_ch_1",
        occurred_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )


def test_longest_prefix_wins_and_unknown_types_are_ignored(isolated_registry):
    calls = []
    inbound.register("charge.", lambda *, connector, event: calls.append(("charge", event.type)) or "applied")
    inbound.register(
        "charge.dispute.", lambda *, connector, event: calls.append(("dispute", event.type)) or "held"
    )
    assert inbound.handler_for("charge.dispute.created") is inbound.registered()["charge.dispute."]
    assert inbound.handler_for("charge.succeeded") is inbound.registered()["charge."]
    assert inbound.handler_for("payout.paid") is None
    assert inbound.handler_for("charges.x") is None

    assert inbound.dispatch(connector=None, event=_event("charge.dispute.created")) == "held"
    assert inbound.dispatch(connector=None, event=_event("charge.succeeded")) == "applied"
    assert calls == [("dispute", "charge.dispute.created"), ("charge", "charge.succeeded")]
    assert (
        inbound.dispatch(connector=None, event=_event("payout.paid")) == "ignored:unhandled_type:payout.paid"
    )


def test_empty_prefix_is_refused(isolated_registry):
    with pytest.raises(ValueError):
        inbound.register("", lambda **kw: "x")


@pytest.mark.django_db
def test_an_event_without_a_reference_never_reaches_an_attempt_that_has_none(api, merchant):
    """An attempt that never reached the provider has gateway_reference "": an event naming no
    reference must not be applied to the newest such attempt."""
    from apps.intents.models import Charge
    from tests.intents.helpers import create_intent, make_card

    intent = create_intent(api, payment_method=make_card(merchant).public_id).json()
    confirmed = api.post(f"/v1/payment_intents/{intent['id']}/confirm", {}, format="json").json()
    charge = Charge.objects.get(public_id=confirmed["latest_charge"])
    Charge.objects.filter(pk=charge.pk).update(gateway_reference="", status=Charge.Status.SUBMITTING)
    event = InboundEvent(
        provider_event_id="evt_no_ref", type="charge.succeeded", gateway_reference="",
        occurred_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), amount=charge.amount,
    )  # fmt: skip
    assert inbound.dispatch(connector=charge.connector, event=event) == "ignored:no_reference"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.SUBMITTING
