"""A refused action answers the back office's own 403 page, naming the roles that may do it."""

import pytest
from django.urls import reverse

from apps.intents.models import PaymentIntent
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def test_a_refused_refund_names_the_roles_that_may_refund(client, api, merchant):
    intent = PaymentIntent.objects.get(public_id=pay(api, make_card(merchant)).json()["id"])
    client.force_login(staff_user("compliance", "cora"))
    response = client.get(reverse("admin:intents_paymentintent_refund", args=[intent.pk]))
    page = response.content.decode()
    assert response.status_code == 403
    assert 'id="refusal"' in page and "Refund payment" in page
    roles = page.split('id="refusal-roles"')[1].split("</ul>")[0]
    assert "support" in roles and "compliance" not in roles
    assert "nav" in page  # the admin's layout, not a bare "403 Forbidden"


def test_outside_the_admin_a_refusal_stays_plain(client):
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    from apps.backoffice.views import permission_denied

    request = RequestFactory().get("/v1/anything")
    request.user = staff_user("support", "sam")
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403 and b"refusal" not in response.content
