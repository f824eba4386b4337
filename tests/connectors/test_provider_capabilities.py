"""What a provider's (or an account's narrowed) matrix leaves out never reaches the provider: the
gateway answers operation_not_supported with no HTTP call, and routing excludes the account for a
payment that needs it."""

import pytest
import responses

from apps.connectors import gateway
from apps.connectors.base import NOT_SUPPORTED, Declined, RetryableError
from apps.connectors.capabilities import PaymentShape
from apps.connectors.selectors import connector_exclusion
from apps.connectors.services import connector_create
from tests.intents.helpers import ACTOR

KEY = "sk_live_51QCapabilitiesKey000000000000000cccc"


@pytest.fixture
def stripe_account(merchant):
    return connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe", actor=ACTOR,
                            credentials={"secret_key": KEY}, capabilities={"refunds": False, "manual_capture": False})  # fmt: skip


@pytest.fixture
def adyen_account(merchant):
    return connector_create(merchant=merchant, livemode=True, type="adyen", label="Adyen", actor=ACTOR,
                            credentials={"api_key": "AQE_capabilities_key_0001"},
                            config={"merchant_account": "ClearhouseECOM", "live_endpoint_prefix": "abc-Co"})  # fmt: skip


@responses.activate
def test_an_operation_the_account_switched_off_is_answered_without_calling_the_provider(stripe_account):
    for operation in (gateway.refund, gateway.capture):
        result = operation(connector=stripe_account, idempotency_key="re_x", gateway_reference="pi_x",
                           amount=100, currency="EUR")  # fmt: skip
        assert isinstance(result, Declined) and result.code == NOT_SUPPORTED
    assert len(responses.calls) == 0


def test_routing_excludes_an_account_for_what_its_matrix_lacks(stripe_account, adyen_account):
    manual = PaymentShape(amount=1000, currency="EUR", capture_method="manual")
    assert connector_exclusion(stripe_account, manual) == "manual_capture_not_supported"
    assert connector_exclusion(adyen_account, manual) is None
    wallet = PaymentShape(amount=1000, currency="EUR", payment_method_type="ideal")
    assert connector_exclusion(adyen_account, wallet) == "payment_method_type_not_supported"


@responses.activate
def test_a_provider_without_lookup_leaves_a_timed_out_attempt_unknown(adyen_account):
    found = gateway.lookup(connector=adyen_account, operation="authorize", idempotency_key="ch_timed_out")
    assert (
        isinstance(found, RetryableError) and found.outcome_unknown and found.code == "lookup_not_supported"
    )
    assert len(responses.calls) == 0


def test_credentials_of_the_other_mode_are_refused(merchant):
    from apps.connectors.errors import ConnectorCredentialsInvalid

    with pytest.raises(ConnectorCredentialsInvalid):
        connector_create(merchant=merchant, livemode=True, type="stripe", label="x", actor=ACTOR,
                         credentials={"secret_key": "sk_test_51QWrongModeKey0000"})  # fmt: skip


@responses.activate
def test_a_settlement_run_reads_the_providers_report_and_a_provider_outage_answers_502(
    client_for, merchant, monkeypatch
):
    import re

    from apps.connectors.http import ProviderHTTP
    from tests.connectors.adapters.stripe.conformance import Recordings

    monkeypatch.setattr(ProviderHTTP, "_sleep", staticmethod(lambda attempt: None))
    account = connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe", actor=ACTOR,
                               credentials={"secret_key": KEY})  # fmt: skip
    live = client_for(merchant, livemode=True)
    scenario = Recordings().settlement_report_parse()
    for exchange in scenario.exchanges:
        responses.add(exchange.method, exchange.url, json=exchange.json)
    run = live.post(
        f"/v1/connectors/{account.public_id}/run_settlement", {"date": "2026-01-05"}, format="json"
    )
    assert run.status_code == 200, run.content
    assert run.json()["lines"] == 3 and run.json()["totals"] == {"eur": {"amount": 3100, "fee": 101}}

    responses.reset()
    listing = re.compile(r"https://api\.stripe\.com/v1/balance_transactions\?.*")
    for _ in range(3):  # a GET is retried twice, then the outage is the answer
        responses.add(responses.GET, listing, status=503, json={"error": {"type": "api_error"}})
    down = live.post(
        f"/v1/connectors/{account.public_id}/run_settlement", {"date": "2026-01-06"}, format="json"
    )
    assert down.status_code == 502 and down.json()["error"]["code"] == "connector_provider_unavailable"
    assert len(responses.calls) == 3


@responses.activate
def test_a_settlement_report_stripe_refuses_answers_502_naming_the_code(client_for, merchant):
    import re

    account = connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe", actor=ACTOR,
                               credentials={"secret_key": KEY})  # fmt: skip
    listing = re.compile(r"https://api\.stripe\.com/v1/balance_transactions\?.*")
    responses.add(responses.GET, listing, status=401, json={"error": {
        "type": "invalid_request_error", "code": "api_key_expired", "message": "Expired API Key provided."}})  # fmt: skip
    live = client_for(merchant, livemode=True)
    refused = live.post(
        f"/v1/connectors/{account.public_id}/run_settlement", {"date": "2026-01-06"}, format="json"
    )
    assert refused.status_code == 502, refused.content
    assert refused.json()["error"]["code"] == "connector_provider_unavailable"
    assert len(responses.calls) == 1  # a refusal is not retried
