"""Test clocks, early fraud warnings and faucet tokens through the official stripe-python SDK,
unchanged, against a live server: the SDK's own TestClock and EarlyFraudWarning resources parse
Clearhouse's answers."""

import datetime as dt

import pytest
import stripe

pytestmark = pytest.mark.django_db(transaction=True)

START = int(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC).timestamp())


def test_a_test_clock_walks_an_authorization_to_its_expiry_through_the_sdk(sdk):
    clock = sdk.v1.test_helpers.test_clocks.create(params={"frozen_time": START, "name": "SDK week"})
    assert isinstance(clock, stripe.test_helpers.TestClock)
    assert (clock.status, clock.frozen_time, clock.name) == ("ready", START, "SDK week")
    intent = sdk.v1.payment_intents.create(
        params={"amount": 3100, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
                "capture_method": "manual"}
    )  # fmt: skip
    assert intent.status == "requires_capture"
    advanced = sdk.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START + 8 * 86_400})
    assert advanced.status == "advancing"
    again = sdk.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert (again.status, again.frozen_time) == ("ready", START + 8 * 86_400)
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "canceled"
    assert [c.id for c in sdk.v1.test_helpers.test_clocks.list().data] == [clock.id]
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START})
    deleted = sdk.v1.test_helpers.test_clocks.delete(clock.id)
    assert deleted.deleted is True


def test_early_fraud_warnings_and_faucet_tokens_through_the_sdk(sdk):
    # The faucet and the simulator are Clearhouse's own paths: the SDK's raw request reaches them.
    raw = sdk.raw_request("post", "/v1/test_helpers/faucet", card="succeeds")
    token = sdk.deserialize(raw, api_mode="V1")
    intent = sdk.v1.payment_intents.create(
        params={"amount": 2500, "currency": "usd", "confirm": True,
                "payment_method_data": {"type": "card", "card": {"token": token.id}}}
    )  # fmt: skip
    assert intent.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as reused:
        sdk.v1.payment_intents.create(
            params={"amount": 2500, "currency": "usd", "confirm": True, "source": token.id}
        )
    assert reused.value.code == "token_already_used"
    sdk.raw_request(
        "post", "/v1/test_helpers/simulate", type="early_fraud_warning.created", object=intent.id,
        fraud_type="card_never_received",
    )  # fmt: skip
    [warning] = sdk.v1.radar.early_fraud_warnings.list(params={"payment_intent": intent.id}).data
    assert isinstance(warning, stripe.radar.EarlyFraudWarning)
    assert (warning.fraud_type, warning.actionable, warning.charge) == (
        "card_never_received",
        True,
        intent.latest_charge,
    )
    assert sdk.v1.radar.early_fraud_warnings.retrieve(warning.id).id == warning.id
