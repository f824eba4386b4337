"""Every staff edit on the merchant's page is audited: the merchant's own fields through
``merchant_update`` and the settings inline through ``merchant_settings_update`` (versioned, and
invalidating the API's cached settings), each with who did it, what it was and what it became."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.merchants.models import Merchant, MerchantSettings
from tests.admin.staff import staff_user
from tests.admin.test_merchant_thresholds_admin import _form

pytestmark = pytest.mark.django_db


def test_a_settings_edit_in_the_admin_is_audited_and_versioned(client, merchant):
    staff = staff_user("admin")
    client.force_login(staff)
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    version = MerchantSettings.objects.get(merchant=merchant).version
    resp = client.post(url, _form(client, url, refund_threshold_USD="100.00", settlement_delay_days="5"))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    settings = MerchantSettings.objects.get(merchant=merchant)
    assert (settings.settlement_delay_days, settings.refund_approval_thresholds) == (5, {"USD": 10000})
    assert settings.version == version + 1
    entry = AuditEntry.objects.get(action="merchant_settings.updated", merchant=merchant)
    assert entry.actor_type == "staff" and entry.actor_id == str(staff.pk)
    assert entry.after == {"settlement_delay_days": 5, "refund_approval_thresholds": {"USD": 10000}}
    assert entry.before["settlement_delay_days"] != 5
    # Saving the page again without a change writes no audit row and no new version.
    resp = client.post(url, _form(client, url))
    assert resp.status_code == 302
    assert AuditEntry.objects.filter(action="merchant_settings.updated").count() == 1
    assert MerchantSettings.objects.get(merchant=merchant).version == version + 1


def test_a_merchant_field_edit_in_the_admin_is_audited(client, merchant):
    staff = staff_user("admin")
    client.force_login(staff)
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    data = _form(client, url)
    data.update({"name": "Renamed Shop", "support_email": "help@renamed.example"})
    old_name = merchant.name
    resp = client.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    merchant = Merchant.objects.get(pk=merchant.pk)
    assert (merchant.name, merchant.support_email) == ("Renamed Shop", "help@renamed.example")
    entry = AuditEntry.objects.get(action="merchant.updated", merchant=merchant)
    assert entry.actor_id == str(staff.pk)
    assert entry.before["name"] == old_name
    assert entry.after == {"name": "Renamed Shop", "support_email": "help@renamed.example"}
    assert not AuditEntry.objects.filter(action="merchant_settings.updated").exists()
