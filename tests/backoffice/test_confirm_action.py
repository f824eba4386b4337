"""ConfirmActionMixin itself, on the payments admin's capture and refund actions: the permission
check, the confirm page that insists on a reason, one service call per object, an honest summary."""

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from apps.approvals.models import ApprovalRequest
from apps.intents import admin as intents_admin
from apps.intents.models import PaymentIntent
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:intents_paymentintent_changelist"


@pytest.fixture
def held(api, merchant):
    """Two payments authorized for manual capture."""
    return [
        PaymentIntent.objects.get(
            public_id=pay(api, make_card(merchant), capture_method="manual").json()["id"]
        )
        for _ in range(2)
    ]


@pytest.fixture
def captures(monkeypatch):
    calls = []
    monkeypatch.setattr(
        intents_admin.services,
        "payment_intent_capture",
        lambda **kwargs: calls.append(kwargs) or SimpleNamespace(status=PaymentIntent.Status.SUCCEEDED),
    )
    return calls


def _post(client, pks, action="capture_payments", **form):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": pks, **form})


def test_without_the_permission_the_action_is_refused_with_403(client, held, captures):
    client.force_login(staff_user("compliance", "cora"))
    response = _post(client, [held[0].pk], apply="1", reason="customer called")
    assert response.status_code == 403
    # The mixin checks too, whoever calls the action (not only the site's action guard).
    request = RequestFactory().post("/admin/")
    request.user = staff_user("compliance", "cody")
    model_admin = admin.site._registry[PaymentIntent]
    with pytest.raises(PermissionDenied):
        model_admin.capture_payments(request, PaymentIntent.objects.filter(pk=held[0].pk))
    assert captures == []


def test_without_a_reason_the_confirm_page_comes_back_with_an_error(client, held, captures):
    client.force_login(staff_user("support", "sue"))
    first = _post(client, [held[0].pk])
    assert first.status_code == 200 and 'name="reason"' in first.content.decode()
    assert held[0].public_id in first.content.decode()
    again = _post(client, [held[0].pk], apply="1", reason="")
    page = again.content.decode()
    assert again.status_code == 200 and 'name="reason"' in page
    assert "This field is required." in page
    assert captures == []


def test_confirmed_calls_the_service_once_per_object_and_says_what_happened(client, held, captures):
    user = staff_user("support", "sue")
    client.force_login(user)
    review = _post(client, [p.pk for p in held], apply="1", reason="customer called", amount_to_capture="")
    # A valid form first shows what will happen, and does nothing yet.
    assert (
        review.status_code == 200
        and "Capture everything capturable on each of 2 payments" in review.content.decode()
    )
    assert captures == []
    response = _post(
        client, [p.pk for p in held], apply="1", confirmed="1", reason="customer called", amount_to_capture=""
    )
    assert response.status_code == 302
    assert sorted(call["intent_id"] for call in captures) == sorted(p.pk for p in held)
    assert {(call["reason"], call["actor"].label) for call in captures} == {("customer called", "sue")}
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Captured 2 payment(s)."]


def test_a_refund_that_went_to_approval_is_reported_as_such(client, api, merchant):
    merchant.settings.refund_approval_threshold = 100
    merchant.settings.save()
    paid = PaymentIntent.objects.get(public_id=pay(api, make_card(merchant)).json()["id"])
    client.force_login(staff_user("support", "sue"))
    response = _post(
        client, [paid.pk], action="refund_payments", apply="1", confirmed="1", reason="goodwill", amount="15.00",
        refund_reason="requested_by_customer",
    )  # fmt: skip
    assert response.status_code == 302
    refund = Refund.objects.get(payment_intent=paid)
    assert (refund.status, refund.amount) == (Refund.Status.REQUIRES_APPROVAL, 1500)
    approval = ApprovalRequest.objects.get(target_id=refund.public_id)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Refund of 15.00 USD is waiting for approval ({approval.public_id}); nothing has been refunded yet."
    ]


def test_a_refusal_names_the_object_and_the_others_still_run(client, held, merchant, api):
    done = PaymentIntent.objects.get(public_id=pay(api, make_card(merchant)).json()["id"])
    client.force_login(staff_user("support", "sue"))
    response = _post(client, [held[0].pk, done.pk], apply="1", confirmed="1", reason="customer called")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(text.startswith(f"{done.public_id}: ") for text in texts)
    assert "Captured 1 payment(s)." in texts
    held[0].refresh_from_db()
    assert held[0].status == "succeeded"
