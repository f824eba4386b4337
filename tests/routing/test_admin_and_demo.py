"""The back office: connector accounts with masked credentials and their actions (admin role
only), the rule editor's dry run and save, the routed-by filter on attempts; the demo data."""

import io
import json

import pytest

from apps.audit.models import AuditEntry
from apps.connectors.models import Connector
from apps.intents.models import Charge
from apps.routing import demo
from apps.routing.models import RuleSet
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay
from tests.routing.factories import rule_set, sandbox

SECRET = "whsec_admin_page_secret_5678"


@pytest.fixture
def staff(db):
    return staff_user


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff("admin"))
    return client


def test_connector_page_masks_credentials_and_actions_are_audited(admin_client, api, merchant):
    con = api.post("/v1/connectors", {"type": "sandbox", "label": "Shown", "credentials": {"webhook_secret": SECRET}},
                   format="json").json()["id"]  # fmt: skip
    row = Connector.objects.get(public_id=con)
    page = admin_client.get(f"/admin/connectors/connector/{row.pk}/change/").content.decode()
    assert "••••5678" in page and SECRET not in page and row.credentials_ciphertext not in page
    listing = admin_client.get("/admin/connectors/connector/").content.decode()
    assert SECRET not in listing and con in listing
    resp = admin_client.post(
        "/admin/connectors/connector/", {"action": "test_connectors", "_selected_action": [row.pk]}
    )
    assert resp.status_code == 302
    assert AuditEntry.objects.filter(object_id=con, action="connector.test").exists()
    resp = admin_client.post(
        "/admin/connectors/connector/",
        {"action": "rotate_credentials", "_selected_action": [row.pk], "apply": "1", "reason": "quarterly rotation",
         "field": "webhook_secret", "value": "whsec_rotated_in_admin_0000"},
    )  # fmt: skip
    assert resp.status_code == 302
    row.refresh_from_db()
    assert (
        row.credentials_mask["fields"]["webhook_secret"] == "••••0000" and row.previous_credentials_ciphertext
    )
    page = admin_client.get(f"/admin/connectors/connector/{row.pk}/change/").content.decode()
    assert "whsec_rotated_in_admin_0000" not in page and SECRET not in page
    admin_client.post("/admin/connectors/connector/", {"action": "disable_connectors", "_selected_action": [row.pk],
                                                       "apply": "1", "reason": "moving away"})  # fmt: skip
    row.refresh_from_db()
    assert row.status == "disabled"
    entry = AuditEntry.objects.get(object_id=con, action="connector.update")
    assert entry.reason == "moving away" and entry.actor_type == "staff"


def test_support_cannot_act_on_connectors(client, staff, merchant):
    con = sandbox(merchant, "x")
    client.force_login(staff("support"))
    resp = client.post("/admin/connectors/connector/", {"action": "disable_connectors", "_selected_action": [con.pk],
                                                        "apply": "1", "reason": "not allowed"})  # fmt: skip
    con.refresh_from_db()
    assert con.status == "active"
    assert resp.status_code in (200, 302, 403)


def test_rule_editor_evaluates_a_pasted_payment_and_saves_a_new_version(admin_client, merchant):
    a, b = sandbox(merchant, "a"), sandbox(merchant, "b", capabilities={"currencies": ["USD"]})
    rs = rule_set(merchant, rules=[{"name": "all_a", "connectors": [a.public_id]}])
    url = f"/admin/routing/ruleset/{rs.pk}/editor/"
    assert admin_client.get(url).status_code == 200
    draft = [
        {"name": "eur_to_b", "conditions": {"currency": ["EUR"]}, "connectors": [b.public_id, a.public_id]}
    ]
    body = {"rules": json.dumps(draft), "default_fallback": json.dumps([a.public_id]),
            "payment": json.dumps({"amount": 1500, "currency": "EUR"})}  # fmt: skip
    page = admin_client.post(url, {**body, "evaluate": "1"}).content.decode()
    assert "currency_not_supported" in page  # b is USD only: excluded, with its reason
    assert f'<span id="decision-connector">{a.public_id}</span>' in page
    rs.refresh_from_db()
    assert rs.latest_version == 1  # evaluating saved nothing
    resp = admin_client.post(url, {**body, "save": "1"})
    assert resp.status_code == 302
    rs.refresh_from_db()
    assert rs.latest_version == 2 and rs.versions.get(version=2).rules[0]["name"] == "eur_to_b"
    bad = admin_client.post(
        url, {**body, "rules": json.dumps([{"name": "x", "connectors": ["con_zz"]}]), "evaluate": "1"}
    )
    assert "rules[0][connectors][0]" in bad.content.decode()


def test_attempts_can_be_filtered_by_how_they_were_routed(admin_client, api, merchant):
    a = sandbox(merchant, "a declines visa", config={"decline_card_brands": ["visa"]})
    b = sandbox(merchant, "b")
    rule_set(merchant, rules=[{"name": "amex", "conditions": {"card_brand": ["amex"]}, "connectors": [b.public_id]}],
             default_fallback=[a.public_id, b.public_id])  # fmt: skip
    pay(api, make_card(merchant, "4242424242424242"))  # fallback, fails over to b
    pay(api, make_card(merchant, "378282246310005"))  # rule amex → b
    failed_over = Charge.objects.filter(routing__failover__previous_charge__isnull=False)
    assert failed_over.count() == 1
    page = admin_client.get("/admin/intents/charge/?routed_by=failover").content.decode()
    assert failed_over.get().public_id in page
    by_rule = Charge.objects.get(routing__matched_by="rule")
    page = admin_client.get("/admin/intents/charge/?routed_by=rule").content.decode()
    assert by_rule.public_id in page and failed_over.get().public_id not in page


def test_demo_loads_two_connectors_and_an_active_rule_set_once(merchant):
    out = io.StringIO()
    demo.load(merchant, out)
    demo.load(merchant, out)
    assert Connector.objects.filter(merchant=merchant, livemode=False).count() == 2
    rs = RuleSet.objects.get(merchant=merchant)
    assert rs.active_version == 1


def test_the_dashboard_shows_open_circuits(admin_client, merchant):
    from apps.connectors import observe

    broken = sandbox(merchant, "broken")
    sandbox(merchant, "fine")
    page = admin_client.get("/admin/").content.decode()
    assert "Connector circuits" in page and "all closed" in page
    observe.circuit_open(broken.public_id)
    page = admin_client.get("/admin/").content.decode()
    assert "1 open" in page and broken.public_id in page
