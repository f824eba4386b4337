"""Payment intents, refunds and idempotency through the official SDK."""

import json
import uuid

import pytest
import stripe

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_and_confirm_then_partial_refund_and_over_refund(sdk):
    intent = sdk.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"order_id": "A-1"},
        }
    )
    assert isinstance(intent, stripe.PaymentIntent)
    assert (intent.status, intent.amount_received) == ("succeeded", 2000)
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")

    refund = sdk.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})
    assert isinstance(refund, stripe.Refund)
    assert (refund.amount, refund.status) == (500, "succeeded")

    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5000})
    assert err.value.http_status == 400

    listed = sdk.v1.refunds.list(params={"payment_intent": intent.id})
    assert [r.id for r in listed.auto_paging_iter()] == [refund.id]

    sdk.v1.payment_intents.create(params={"amount": 99, "currency": "usd", "metadata": {"order_id": "A-2"}})
    found = sdk.v1.payment_intents.search(
        params={
            "query": "status:'succeeded' AND metadata['order_id']:'A-1' AND amount>=2000 AND currency:'usd'"
        }
    )
    assert isinstance(found, stripe.SearchResultObject)
    assert [p.id for p in found.auto_paging_iter()] == [intent.id]
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.payment_intents.search(params={"query": "status:'succeeded' AND OR"})
    assert err.value.param == "query"


def test_manual_capture_partial_and_cancel(sdk):
    intent = sdk.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "usd",
            "capture_method": "manual",
            "payment_method": "pm_card_visa",
        }
    )
    confirmed = sdk.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "requires_capture"
    captured = sdk.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1200})
    assert (captured.status, captured.amount_received) == ("succeeded", 1200)

    other = sdk.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    canceled = sdk.v1.payment_intents.cancel(other.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.payment_intents.capture(other.id)
    assert (err.value.http_status, err.value.code) == (400, "payment_intent_unexpected_state")


def test_decline_is_a_card_error_with_its_decline_code(sdk):
    with pytest.raises(stripe.CardError) as err:
        sdk.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                "confirm": True,
            }
        )
    assert err.value.http_status == 402
    assert err.value.code == "card_declined"
    assert err.value.error.decline_code == "insufficient_funds"
    intent = err.value.error.payment_intent
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == "insufficient_funds"


def test_three_d_secure_answers_a_next_action_on_the_public_base_url(sdk, live_server):
    intent = sdk.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_threeDSecure2Required",
            "confirm": True,
            "return_url": "https://shop.example/return",
        }
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "redirect_to_url"
    assert intent.next_action.redirect_to_url.url.startswith(live_server.url + "/")


def test_missing_and_unknown_parameters_are_invalid_request_errors_naming_the_param(sdk):
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.payment_intents.create(params={"currency": "usd"})
    assert (err.value.http_status, err.value.code, err.value.param) == (400, "parameter_missing", "amount")
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.customers.create(params={"emial": "typo@example.com"})
    assert (err.value.code, err.value.param) == ("parameter_unknown", "emial")
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.payment_intents.retrieve("pi_doesnotexist")
    assert (err.value.http_status, err.value.code) == (404, "resource_missing")


def test_idempotent_replay_and_key_reuse_with_other_parameters(sdk):
    key = str(uuid.uuid4())
    options = {"idempotency_key": key}
    first = sdk.v1.customers.create(params={"email": "idem@example.com"}, options=options)
    again = sdk.v1.customers.create(params={"email": "idem@example.com"}, options=options)
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError) as err:
        sdk.v1.customers.create(params={"email": "other@example.com"}, options=options)
    assert err.value.http_status == 400


def test_a_card_error_is_replayed_exactly_under_the_same_key(sdk):
    options = {"idempotency_key": str(uuid.uuid4())}
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    with pytest.raises(stripe.CardError) as first:
        sdk.v1.payment_intents.create(params=params, options=options)
    with pytest.raises(stripe.CardError) as second:
        sdk.v1.payment_intents.create(params=params, options=options)
    assert json.loads(json.dumps(second.value.json_body)) == json.loads(json.dumps(first.value.json_body))
    assert second.value.headers.get("Idempotent-Replayed") == "true"


def test_stripe_account_header_is_refused_plainly(sdk, compat_merchant):
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.customers.list(options={"stripe_account": "acct_123"})
    assert "Stripe-Account" in err.value.user_message


def test_a_500_is_stored_and_the_sdks_automatic_retry_replays_it(
    sdk, live_server, compat_merchant, monkeypatch
):
    """stripe-python retries a 500 with the same Idempotency-Key; the work must not run twice."""
    from apps.vault import services as vault_services

    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(vault_services, "customer_create", broken)
    retrying = stripe.StripeClient(
        sdk._requestor.api_key,  # the suite's key; a client that retries, as stripe-python's default does
        base_addresses={"api": live_server.url},
        max_network_retries=2,
        http_client=stripe.RequestsClient(),
    )
    monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds", lambda self, *a, **k: 0)
    with pytest.raises(stripe.APIError) as err:
        retrying.v1.customers.create(
            params={"email": "boom@example.com"}, options={"idempotency_key": "k-500"}
        )
    assert err.value.http_status == 500
    assert len(calls) == 1
    assert err.value.headers.get("Idempotent-Replayed") == "true"
    assert err.value.headers.get("Stripe-Should-Retry") == "false"
