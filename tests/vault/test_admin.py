"""Back office: support sees card facts (never a number), nobody edits card fields, soft delete asks a reason."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.vault import services
from apps.vault.models import Customer, PaymentMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_client(client):
    from apps.core.roles import sync_roles

    sync_roles()
    user = User.objects.create_user("sue", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    client.force_login(user)
    return client


@pytest.fixture
def pm(merchant):
    customer = services.customer_create(
        merchant=merchant, livemode=False, actor=Actor.system("t"), email="ann@example.com", name="Ann Smith"
    )
    return services.payment_method_create_card(
        merchant=merchant, livemode=False, number="4000056655665556", exp_month=7, exp_year=2031, cvc="123",
        customer=customer, allow_redisplay="always", actor=Actor.system("t"),
    )  # fmt: skip


def test_support_sees_card_facts_read_only(support_client, pm):
    changelist = support_client.get(reverse("admin:vault_paymentmethod_changelist"))
    assert changelist.status_code == 200
    page = support_client.get(reverse("admin:vault_paymentmethod_change", args=[pm.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "5556" in html and "debit" in html
    assert "4000056655665556" not in html
    # Read-only: no form inputs for card fields, and a POST changes nothing.
    assert 'name="card_last4"' not in html and 'name="card_exp_month"' not in html
    response = support_client.post(
        reverse("admin:vault_paymentmethod_change", args=[pm.pk]), {"card_last4": "0000", "card_exp_month": 1}
    )
    assert response.status_code == 403
    pm.refresh_from_db()
    assert (pm.card_last4, pm.card_exp_month) == ("5556", 7)


def test_nobody_can_add_or_hard_delete(admin_client, pm):
    assert admin_client.get(reverse("admin:vault_paymentmethod_add")).status_code == 403
    assert admin_client.get(reverse("admin:vault_paymentmethod_delete", args=[pm.pk])).status_code == 403
    assert admin_client.get(reverse("admin:vault_customer_delete", args=[pm.customer.pk])).status_code == 403


@pytest.mark.parametrize("query", ["ann@example.com", "Ann Smith", "5556"])
def test_search_by_email_name_last4(support_client, pm, query):
    response = support_client.get(reverse("admin:vault_paymentmethod_changelist"), {"q": query})
    assert pm.public_id in response.content.decode()


def test_search_by_fingerprint(support_client, pm):
    response = support_client.get(reverse("admin:vault_paymentmethod_changelist"), {"q": pm.fingerprint})
    assert pm.public_id in response.content.decode()
    customers = support_client.get(reverse("admin:vault_customer_changelist"), {"q": "5556"})
    assert pm.customer.public_id in customers.content.decode()


def test_soft_delete_action_asks_for_reason_then_deletes_and_audits(support_client, pm):
    url = reverse("admin:vault_paymentmethod_changelist")
    data = {"action": "soft_delete_payment_methods", "_selected_action": [pm.pk]}
    confirm = support_client.post(url, {**data, "index": 0})
    assert confirm.status_code == 200
    assert "reason" in confirm.content.decode()
    assert PaymentMethod.objects.get(pk=pm.pk).deleted_at is None
    no_reason = support_client.post(url, {**data, "apply": "1", "reason": ""})
    assert no_reason.status_code == 200
    assert PaymentMethod.objects.get(pk=pm.pk).deleted_at is None
    done = support_client.post(url, {**data, "apply": "1", "reason": "fraud report #12"})
    assert done.status_code == 302
    pm.refresh_from_db()
    assert pm.deleted_at is not None and pm.deleted_reason == "fraud report #12"
    entry = AuditEntry.objects.get(action="payment_method.deleted", object_id=pm.public_id)
    assert entry.reason == "fraud report #12"
    assert entry.actor_label == "sue"


def test_customer_soft_delete_action(support_client, pm):
    url = reverse("admin:vault_customer_changelist")
    support_client.post(
        url,
        {
            "action": "soft_delete_customers",
            "_selected_action": [pm.customer.pk],
            "apply": "1",
            "reason": "GDPR",
        },
    )
    customer = Customer.objects.get(pk=pm.customer.pk)
    assert customer.deleted_at is not None
    assert PaymentMethod.objects.get(pk=pm.pk).customer is None


def test_role_without_delete_permission_has_no_soft_delete_action(client, pm):
    from apps.core.roles import sync_roles

    sync_roles()
    user = User.objects.create_user("rita", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="risk"))
    client.force_login(user)
    url = reverse("admin:vault_paymentmethod_changelist")
    assert "soft_delete_payment_methods" not in client.get(url).content.decode()
    client.post(url, {"action": "soft_delete_payment_methods", "_selected_action": [pm.pk], "apply": "1",
                      "reason": "nope"})  # fmt: skip
    assert PaymentMethod.objects.get(pk=pm.pk).deleted_at is None
