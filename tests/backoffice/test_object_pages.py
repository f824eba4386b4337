"""Object pages show money formatted with its currency, never bare minor units, and the refund's
page carries its own actions."""

import re

import pytest
from django.urls import reverse

from apps.audit.services import Actor
from apps.intents.models import Charge, PaymentIntent
from apps.refunds import services as refund_services
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def _fields(page: str) -> str:
    """The page's fields, without the raw JSON blobs (API-shaped, minor units by definition)."""
    main = page.split('id="content-main"')[1]
    return re.sub(r'<span style="color: #[0-9A-Fa-f]+(; font-weight: bold)?">\d+</span>', "", main)


def test_the_refund_page_shows_its_amount_in_eur_and_offers_cancel_while_it_waits(client, api, merchant):
    merchant.settings.refund_approval_threshold = 100
    merchant.settings.save()
    body = pay(api, make_card(merchant), amount=2000, currency="eur").json()
    refund = refund_services.refund_create(
        merchant=merchant, livemode=False, actor=Actor.staff(staff_user("support", "sam")),
        payment_intent=body["id"], amount=1234, reason="requested_by_customer",
    )  # fmt: skip
    assert refund.status == Refund.Status.REQUIRES_APPROVAL
    client.force_login(staff_user("support", "sue"))
    page = client.get(reverse("admin:refunds_refund_change", args=[refund.pk])).content.decode()
    assert "12.34 EUR" in page and not re.search(r">\s*1234\s*<", _fields(page))
    assert 'id="action-cancel"' in page and body["id"] in page
    cancel_url = reverse("admin:refunds_refund_cancel", args=[refund.pk])
    done = client.post(cancel_url, {"reason": "customer changed their mind"})
    assert done.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.CANCELED


def test_the_charge_page_shows_every_amount_with_its_currency(client, api, merchant):
    body = pay(api, make_card(merchant), amount=2000, currency="eur").json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    client.force_login(staff_user("support", "sue"))
    page = client.get(reverse("admin:intents_charge_change", args=[charge.pk])).content.decode()
    assert "20.00 EUR" in page and not re.search(r">\s*2000\s*<", _fields(page))


def test_the_workbench_shows_no_bare_minor_units(client, api, merchant):
    body = pay(api, make_card(merchant), amount=2000, currency="eur").json()
    intent = PaymentIntent.objects.get(public_id=body["id"])
    client.force_login(staff_user("support", "sue"))
    page = client.get(reverse("admin:intents_paymentintent_change", args=[intent.pk])).content.decode()
    fields = _fields(page).split('id="panel-raw"')[0]  # the raw API object is labelled as such
    assert "20.00 EUR" in fields and not re.search(r">\s*2000\s*<", fields)
