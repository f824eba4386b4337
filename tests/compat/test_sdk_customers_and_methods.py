"""Customers and payment methods through the official SDK: what a Stripe integration does first."""

import pytest
import stripe

pytestmark = pytest.mark.django_db(transaction=True)


def test_customer_with_metadata_is_created_updated_retrieved_and_deleted(sdk):
    customer = sdk.v1.customers.create(
        params={"email": "ada@example.com", "name": "Ada", "metadata": {"order_id": "42", "0": "zero"}}
    )
    assert isinstance(customer, stripe.Customer)
    assert customer.id.startswith("cus_")
    assert customer.metadata.to_dict() == {"order_id": "42", "0": "zero"}

    updated = sdk.v1.customers.update(customer.id, params={"name": "Ada L.", "metadata": {"vip": "true"}})
    assert updated.name == "Ada L."
    # Stripe merges metadata on update.
    assert updated.metadata.to_dict() == {"order_id": "42", "0": "zero", "vip": "true"}

    unset = sdk.v1.customers.update(customer.id, params={"metadata": {"order_id": ""}})
    assert unset.metadata.to_dict() == {"0": "zero", "vip": "true"}
    cleared = sdk.v1.customers.update(customer.id, params={"metadata": ""})
    assert cleared.metadata.to_dict() == {}

    fetched = sdk.v1.customers.retrieve(customer.id)
    assert fetched.email == "ada@example.com"

    deleted = sdk.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    assert deleted.id == customer.id


def test_customer_list_auto_pages_forwards_and_backwards(sdk):
    ids = [sdk.v1.customers.create(params={"email": f"c{i}@example.com"}).id for i in range(5)]
    forward = [c.id for c in sdk.v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert forward == list(reversed(ids))

    page = sdk.v1.customers.list(params={"limit": 2, "ending_before": ids[0]})
    backward = [c.id for c in page.auto_paging_iter()]
    # Paging backwards, stripe-python yields from the oldest newer one up.
    assert backward == ids[1:]


def test_unknown_cursor_is_invalid_request_naming_it(sdk):
    with pytest.raises(stripe.InvalidRequestError) as err:
        sdk.v1.customers.list(params={"starting_after": "cus_doesnotexist"})
    assert err.value.http_status == 404
    assert err.value.code == "resource_missing"
    assert err.value.param == "starting_after"


def test_customer_search(sdk):
    sdk.v1.customers.create(params={"email": "find@example.com", "metadata": {"tier": "gold"}})
    sdk.v1.customers.create(params={"email": "other@example.com"})
    result = sdk.v1.customers.search(params={"query": "email:'find@example.com'"})
    assert isinstance(result, stripe.SearchResultObject)
    assert [c.email for c in result.data] == ["find@example.com"]
    by_meta = sdk.v1.customers.search(params={"query": "metadata['tier']:'gold'"})
    assert [c.email for c in by_meta.auto_paging_iter()] == ["find@example.com"]


def test_card_payment_method_attach_with_only_customer_list_and_detach(sdk):
    customer = sdk.v1.customers.create(params={"email": "pm@example.com"})
    pm = sdk.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    assert isinstance(pm, stripe.PaymentMethod)
    assert pm.card.last4 == "4242"
    assert pm.card.brand == "visa"

    attached = sdk.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    assert attached.customer == customer.id
    assert attached.allow_redisplay == "unspecified"

    listed = sdk.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert [p.id for p in listed.data] == [pm.id]
    by_customer = sdk.v1.customers.payment_methods.list(customer.id)
    assert [p.id for p in by_customer.data] == [pm.id]

    detached = sdk.v1.payment_methods.detach(pm.id)
    assert detached.customer is None


def test_stripe_test_token_and_test_payment_method_ids(sdk):
    pm = sdk.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_mastercard"}})
    assert pm.card.brand == "mastercard"
    intent = sdk.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert intent.status == "succeeded"
    assert intent.payment_method.startswith("pm_")
