"""The README's Stripe-client example runs as written (key and address swapped for the suite's)."""

import re
from pathlib import Path

import pytest
import stripe

from tests.merchants.factories import MerchantFactory, api_key_create

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_readme_stripe_client_example_runs(live_server):
    blocks = [b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.S) if "StripeClient" in b]
    assert blocks
    _, secret = api_key_create(MerchantFactory(name="README SDK"), kind="secret")
    code = (
        blocks[0]
        .replace('"sk_test_…"', repr(secret))
        .replace('"http://127.0.0.1:8000"', repr(live_server.url))
    )
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # the README's own example
    assert isinstance(scope["intent"], stripe.PaymentIntent)
    assert scope["intent"].status == "succeeded"
    assert scope["intent"].customer == scope["customer"].id
