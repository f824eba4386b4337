"""expand[] through the official SDK: on retrieve, list (data.…) and create, dotted, depth-limited."""

import pytest
import stripe

pytestmark = pytest.mark.django_db(transaction=True)


def test_expand_on_create_retrieve_and_list(sdk):
    customer = sdk.v1.customers.create(params={"email": "x@example.com"})
    created = sdk.v1.payment_intents.create(
        params={
            "amount": 1500,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "expand": ["payment_method"],
        }
    )
    assert isinstance(created.payment_method, stripe.PaymentMethod)
    assert created.payment_method.card.last4 == "4242"

    fetched = sdk.v1.payment_intents.retrieve(
        created.id, params={"expand": ["customer", "latest_charge", "latest_charge.payment_intent"]}
    )
    assert isinstance(fetched.customer, stripe.Customer) and fetched.customer.id == customer.id
    assert isinstance(fetched.latest_charge, stripe.Charge)
    assert fetched.latest_charge.payment_intent.id == created.id

    listed = sdk.v1.payment_intents.list(params={"expand": ["data.customer"]})
    assert listed.data[0].customer.email == "x@example.com"


def test_bad_expand_paths_are_invalid_requests_naming_them(sdk):
    customer = sdk.v1.customers.create(params={"email": "y@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.customers.retrieve(customer.id, params={"expand": ["email"]})
    assert (err.value.http_status, err.value.param) == (400, "expand[0]")
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.customers.retrieve(customer.id, params={"expand": ["a.b.c.d.e"]})
    assert err.value.param == "expand[0]"
