"""Back office: payments search, the detail timeline, capture / cancel / refund actions with a reason."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.intents.models import PaymentIntent
from apps.refunds import services as refund_services
from apps.refunds.models import Refund
from tests.intents.helpers import make_customer, pay

pytestmark = pytest.mark.django_db


def _staff(client, role, name):
    from apps.core.roles import sync_roles

    sync_roles()
    user = User.objects.create_user(name, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


@pytest.fixture
def support(client):
    return _staff(client, "support", "sue")


def test_payments_search_by_id_order_email_last4(support, api, card, merchant):
    customer = make_customer(merchant, email="ann@example.com")
    a = pay(api, card("5555555555554444"), metadata={"order_id": "ORD-9"}, customer=customer.public_id).json()
    b = pay(api, card()).json()
    url = reverse("admin:intents_paymentintent_changelist")
    for query, expected in [(a["id"], a["id"]), ("ORD-9", a["id"]), ("ann@example.com", a["id"]),
                            ("4444", a["id"]), (b["latest_charge"], b["id"])]:  # fmt: skip
        page = support.get(url, {"q": query}).content.decode()
        assert expected in page, query
        other = b["id"] if expected == a["id"] else a["id"]
        assert other not in page, query
    assert b["id"] in support.get(url, {"status__exact": "succeeded"}).content.decode()
    assert "5555555555554444" not in support.get(url).content.decode()


def test_detail_page_shows_the_timeline(support, api, card):
    body = pay(api, card("4000000000009995")).json()["error"]["payment_intent"]
    api.post(f"/v1/payment_intents/{body['id']}/confirm", {"payment_method": card().public_id}, format="json")
    api.post("/v1/refunds", {"payment_intent": body["id"], "amount": 500}, format="json")
    pi = PaymentIntent.objects.get(public_id=body["id"])
    page = support.get(reverse("admin:intents_paymentintent_change", args=[pi.pk])).content.decode()
    assert 'data-kind="attempt"' in page and 'data-kind="refund"' in page and 'data-kind="audit"' in page
    assert "insufficient_funds" in page and "payment_intent.confirm" in page
    assert "4000000000009995" not in page


def _act(client, action, pk, **form):
    url = reverse("admin:intents_paymentintent_changelist")
    data = {"action": action, "_selected_action": [pk], "apply": "1", "confirmed": "1", **form}
    return client.post(url, data)


def test_capture_action_needs_a_reason_and_is_audited(support, api, card):
    body = pay(api, card(), capture_method="manual").json()
    pi = PaymentIntent.objects.get(public_id=body["id"])
    confirm_page = support.post(reverse("admin:intents_paymentintent_changelist"),
                                {"action": "capture_payments", "_selected_action": [pi.pk]})  # fmt: skip
    assert confirm_page.status_code == 200 and "reason" in confirm_page.content.decode()
    _act(support, "capture_payments", pi.pk, reason="")
    assert PaymentIntent.objects.get(pk=pi.pk).status == "requires_capture"
    _act(support, "capture_payments", pi.pk, reason="customer called", amount_to_capture="15.00")
    pi.refresh_from_db()
    assert (pi.status, pi.amount_received) == ("succeeded", 1500)
    entry = AuditEntry.objects.get(object_id=pi.public_id, action="payment_intent.capture_requested")
    assert (entry.actor_label, entry.reason, entry.actor_type) == ("sue", "customer called", "staff")


def test_cancel_and_refund_actions(support, api, card):
    held = PaymentIntent.objects.get(public_id=pay(api, card(), capture_method="manual").json()["id"])
    _act(support, "cancel_payments", held.pk, reason="duplicate order", cancellation_reason="duplicate")
    held.refresh_from_db()
    assert (held.status, held.cancellation_reason) == ("canceled", "duplicate")
    paid = PaymentIntent.objects.get(public_id=pay(api, card()).json()["id"])
    _act(
        support,
        "refund_payments",
        paid.pk,
        reason="goodwill",
        amount="7.00",
        refund_reason="requested_by_customer",
    )
    refund = Refund.objects.get(payment_intent=paid)
    assert (refund.status, refund.amount) == ("succeeded", 700)
    assert AuditEntry.objects.filter(
        object_id=refund.public_id, action="refund.create", actor_label="sue"
    ).exists()


def test_roles_without_the_permission_do_not_get_the_action(client, api, card):
    viewer = _staff(client, "compliance", "cora")
    page = viewer.get(reverse("admin:intents_paymentintent_changelist")).content.decode()
    assert "capture_payments" not in page and "refund_payments" not in page


def test_refund_approval_queue(client, api, card, merchant, django_capture_on_commit_callbacks):
    merchant.settings.refund_approval_threshold = 100
    merchant.settings.save()
    paid = pay(api, card()).json()
    big = api.post("/v1/refunds", {"payment_intent": paid["id"], "amount": 1500}, format="json").json()
    finance = _staff(client, "finance", "fin")
    queue = reverse("admin:refunds_refundapprovalqueue_changelist")
    assert big["id"] in finance.get(queue).content.decode()
    re = Refund.objects.get(public_id=big["id"])
    # The action decides the refund's approval request; the refund runs once the decision commits.
    with django_capture_on_commit_callbacks(execute=True):
        finance.post(queue, {"action": "approve_refunds", "_selected_action": [re.pk], "apply": "1",
                             "reason": "within policy"})  # fmt: skip
    re.refresh_from_db()
    assert re.status == "succeeded" and re.decision_reason == "within policy"
    assert ApprovalRequest.objects.get(target_id=re.public_id).status == ApprovalRequest.Status.EXECUTED
    assert big["id"] not in finance.get(queue).content.decode()


def test_refund_queue_action_refuses_the_requester(
    client, api, card, merchant, django_capture_on_commit_callbacks
):
    """A staff member who asked for a refund cannot approve it from the refunds admin either."""
    merchant.settings.refund_approval_threshold = 100
    merchant.settings.save()
    paid = pay(api, card()).json()
    lead = _staff(client, "finance", "fin")
    refund = refund_services.refund_create(
        merchant=merchant, livemode=False, actor=Actor.staff(User.objects.get(username="fin")), payment_intent=paid["id"], amount=1500,
        reason="requested_by_customer",
    )  # fmt: skip
    queue = reverse("admin:refunds_refundapprovalqueue_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = lead.post(queue, {"action": "approve_refunds", "_selected_action": [refund.pk], "apply": "1",
                                     "reason": "looks fine"}, follow=True)  # fmt: skip
    assert "another staff member must decide it" in response.content.decode() or (
        "cannot be decided by the person who requested it" in response.content.decode()
    )
    refund.refresh_from_db()
    assert refund.status == "requires_approval"
    assert ApprovalRequest.objects.get(target_id=refund.public_id).status == ApprovalRequest.Status.PENDING
