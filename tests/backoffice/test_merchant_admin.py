"""Regression (issue 10 §10): a merchant added in the back office is created by merchant_create,
settings row included, so its API keys work for payments and settings at once."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.merchants.models import Merchant, MerchantSettings
from apps.merchants.services import api_key_create
from tests.admin.staff import staff_user
from tests.intents.helpers import create_intent

pytestmark = pytest.mark.django_db


def test_a_merchant_added_in_the_admin_can_take_payments(client):
    client.force_login(staff_user("admin", "ada"))
    add = reverse("admin:merchants_merchant_add")
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {"name": "Corner Shop", "country": "GB", "default_currency": "GBP", "settlement_currency": "GBP",
         "_save": "Save"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    merchant = Merchant.objects.get(name="Corner Shop")
    assert MerchantSettings.objects.filter(merchant=merchant).count() == 1
    created = AuditEntry.objects.get(action="merchant.created", object_id=merchant.public_id)
    assert created.actor_label == "ada"

    _, secret = api_key_create(merchant=merchant, kind="secret", livemode=False, actor=Actor.system("tests"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/v1/settings").status_code == 200
    intent = create_intent(api, amount=1500, currency="gbp")
    assert intent.status_code == 200, intent.json()
    assert intent.json()["status"] == "requires_payment_method"
    # Its page opens, with the settings inline.
    page = client.get(reverse("admin:merchants_merchant_change", args=[merchant.pk]))
    assert page.status_code == 200 and "History of settings changes" in page.content.decode()
