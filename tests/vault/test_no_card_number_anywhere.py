"""After tokenizing cards and bank accounts through the API, the full number appears nowhere:
no column of any table, no captured log line, no API response, no admin page."""

import logging

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from apps.vault.models import Customer, PaymentMethod, Token, VaultRecord

pytestmark = pytest.mark.django_db

CARDS = ["4242424242424242", "378282246310005", "5555555555554444", "4000000000000002", "6200000000000005"]
IBAN = "DE89370400440532013000"
ACCOUNT = "000123456789"
SECRETS = [*CARDS, IBAN, ACCOUNT]


def _spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret[:4]}… found in {where}"
        assert _spaced(secret) not in text, f"spaced {secret[:4]}… found in {where}"


def _tokenize_everything(api, publishable) -> list:
    responses = []
    customer = api.post("/v1/customers", {"email": "scan@example.com", "name": "Scan"}, format="json")
    responses.append(customer)
    cus = customer.json()["id"]
    for number in CARDS:
        cvc = "1234" if number.startswith("37") else "123"
        responses.append(
            api.post(
                "/v1/payment_methods",
                {"type": "card", "card": {"number": _spaced(number), "exp_month": 12, "exp_year": 2034, "cvc": cvc},
                 "customer": cus, "allow_redisplay": "always"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=f"idem-{number[-6:]}",
            )
        )  # fmt: skip
    token = publishable.post(
        "/v1/tokens",
        {"card": {"number": "5555555555554444", "exp_month": 1, "exp_year": 2035}},
        format="json",
    )
    responses.append(token)
    responses.append(
        api.post("/v1/payment_methods", {"type": "card", "token": token.json()["id"]}, format="json")
    )
    responses.append(
        api.post("/v1/payment_methods", {"type": "sepa_debit", "sepa_debit": {"iban": IBAN}}, format="json")
    )
    responses.append(
        api.post(
            "/v1/payment_methods",
            {
                "type": "us_bank_account",
                "us_bank_account": {"routing_number": "110000000", "account_number": ACCOUNT},
            },
            format="json",
        )
    )
    # A failed validation echoes nothing either.
    responses.append(
        api.post(
            "/v1/payment_methods",
            {"type": "card", "card": {"number": "4242424242424241", "exp_month": 12, "exp_year": 2034}},
            format="json",
        )
    )
    for pm in PaymentMethod.objects.all():
        responses.append(api.get(f"/v1/payment_methods/{pm.public_id}"))
        responses.append(api.post(f"/v1/payment_methods/{pm.public_id}", {"nickname": "n"}, format="json"))
    responses.append(api.get("/v1/payment_methods", {"limit": 100}))
    responses.append(api.get(f"/v1/customers/{cus}/payment_methods"))
    responses.append(api.get("/v1/customers"))
    # Card verification sends the number to the sandbox connector: nothing may be left behind.
    try:
        import apps.connectors.registry  # noqa: F401

        first = PaymentMethod.objects.filter(type="card").order_by("pk").first()
        responses.append(api.post(f"/v1/payment_methods/{first.public_id}/verify", {}, format="json"))
    except ImportError:
        pass
    return responses


def _text_columns():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('character varying', 'text', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')
            ORDER BY table_name, column_name
            """
        )
        return cursor.fetchall()


def _hits(columns, secrets) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column, data_type in columns:
            for secret in secrets:
                for form in (secret, _spaced(secret)):
                    if data_type == "bytea":
                        sql = f'SELECT count(*) FROM "{table}" WHERE position(convert_to(%s, \'UTF8\') in "{column}") > 0'
                        arg = form
                    else:
                        sql = f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s'
                        arg = f"%{form}%"
                    cursor.execute(sql, [arg])
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column}")
    return found


def test_the_column_scan_does_find_a_planted_number(merchant):
    """Negative control: the scan is not vacuous."""
    Customer.objects.create(merchant=merchant, description="card 4242424242424242 pasted by mistake")
    assert "vault_customer.description" in _hits(_text_columns(), ["4242424242424242"])


def test_no_full_number_in_any_column_log_response_or_admin_page(api, publishable, admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    responses = _tokenize_everything(api, publishable)
    assert PaymentMethod.objects.count() == 8
    assert VaultRecord.objects.count() == 8  # 5 cards, the token (its record moves to the PM), iban, us bank
    for response in responses:
        assert response.status_code in (200, 402), response.content
        _assert_clean(response.content.decode(), f"response to {response.request['PATH_INFO']}")

    # Every text / JSON / bytea column of every table.
    columns = _text_columns()
    assert len(columns) > 20
    assert _hits(columns, SECRETS) == []

    # Captured logs.
    for record in caplog.records:
        _assert_clean(record.getMessage(), f"log {record.name}")
    _assert_clean(caplog.text, "captured log text")

    # Admin: changelists and change pages of the vault, plus audit and events where PM data lands.
    models = [Customer, PaymentMethod, VaultRecord, Token]
    for label in ("audit.AuditEntry", "webhooks.Event"):
        from django.apps import apps

        models.append(apps.get_model(label))
    pages = 0
    for model in models:
        if model not in admin.site._registry:
            continue
        opts = model._meta
        changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200
        _assert_clean(changelist.content.decode(), f"admin changelist {opts.label}")
        pages += 1
        for obj in model.objects.all()[:50]:
            page = admin_client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )
            assert page.status_code == 200, (opts.label, page.status_code)
            _assert_clean(page.content.decode(), f"admin change page {opts.label} {obj.pk}")
            pages += 1
    # Admin search by last4 and fingerprint works and still shows no number.
    fp = PaymentMethod.objects.filter(type="card").first().fingerprint
    for query in ("4242", fp, "scan@example.com"):
        found = admin_client.get(reverse("admin:vault_paymentmethod_changelist"), {"q": query})
        assert found.status_code == 200
        _assert_clean(found.content.decode(), "admin search")
    assert pages > 10
