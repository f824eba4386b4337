import datetime as dt

import pytest

from apps.audit.models import AuditEntry
from apps.vault.models import PaymentMethod, Token, VaultRecord
from apps.webhooks.models import Event
from tests.vault.factories import card_payload

pytestmark = pytest.mark.django_db

THIS_YEAR = dt.datetime.now(dt.UTC).year


def _customer(api, email="c@example.com"):
    return api.post("/v1/customers", {"email": email}, format="json").json()["id"]


def test_tokenize_card_returns_only_display_facts(api):
    response = api.post(
        "/v1/payment_methods",
        card_payload(
            "4000 0566 5566 5556",
            billing_details={"name": "Jane", "email": "JANE@example.com", "address": {"country": "us"}},
            metadata={"order": "1"},
        ),
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"].startswith("pm_")
    assert body["type"] == "card"
    card = body["card"]
    assert card["brand"] == "visa"
    assert card["last4"] == "5556"
    assert (card["exp_month"], card["exp_year"]) == (12, 2034)
    assert card["funding"] == "debit"
    assert card["country"] == "US"
    assert len(card["fingerprint"]) == 16
    assert body["billing_details"]["email"] == "jane@example.com"
    assert body["billing_details"]["address"]["country"] == "US"
    assert body["customer"] is None
    assert "number" not in card and "cvc" not in card
    assert "4000056655665556" not in response.content.decode()
    pm = PaymentMethod.objects.get(public_id=body["id"])
    assert pm.vault_record.kek_version == "v1"
    assert AuditEntry.objects.filter(action="payment_method.created", object_id=body["id"]).exists()


@pytest.mark.parametrize(
    ("number", "brand", "funding", "country"),
    [
        ("5555555555554444", "mastercard", "credit", "US"),
        ("2223003122003222", "mastercard", "credit", "US"),
        ("5105105105105100", "mastercard", "prepaid", "US"),
        ("6011111111111117", "discover", "credit", "US"),
        ("3056930009020004", "diners", "credit", "US"),
        ("36227206271667", "diners", "credit", "US"),
        ("3566002020360505", "jcb", "credit", "JP"),
        ("6200000000000005", "unionpay", "credit", "CN"),
        ("4000000760000002", "visa", "credit", "BR"),
        ("4000001240000000", "visa", "credit", "CA"),
        ("4111111111111111", "visa", "unknown", None),
    ],
)
def test_brand_funding_country_from_bin_table(api, number, brand, funding, country):
    card = api.post("/v1/payment_methods", card_payload(number), format="json").json()["card"]
    assert (card["brand"], card["funding"], card["country"]) == (brand, funding, country)


def test_amex_with_four_digit_cvc(api):
    response = api.post("/v1/payment_methods", card_payload("378282246310005", cvc="1234"), format="json")
    assert response.status_code == 200
    assert response.json()["card"]["brand"] == "amex"


@pytest.mark.parametrize(
    ("card", "code", "param"),
    [
        ({"number": "4242424242424241"}, "incorrect_number", "card[number]"),
        ({"number": "424242424242"}, "invalid_number", "card[number]"),
        ({"number": "4242-4242-4242-424x"}, "invalid_number", "card[number]"),
        ({"number": "378282246310005", "cvc": "123"}, "invalid_cvc", "card[cvc]"),
        ({"cvc": "12"}, "invalid_cvc", "card[cvc]"),
        ({"cvc": "abcd"}, "invalid_cvc", "card[cvc]"),
        ({"exp_month": 13}, "invalid_expiry_month", "card[exp_month]"),
        ({"exp_month": 0}, "invalid_expiry_month", "card[exp_month]"),
        ({"exp_month": "xx"}, "invalid_expiry_month", "card[exp_month]"),
        ({"exp_year": 20345}, "invalid_expiry_year", "card[exp_year]"),
        ({"exp_year": THIS_YEAR + 60}, "invalid_expiry_year", "card[exp_year]"),
        ({"exp_year": THIS_YEAR - 1}, "expired_card", "card[exp_year]"),
    ],
)
def test_bad_card_input_is_402_with_stripe_code_and_stores_nothing(api, card, code, param):
    payload = card_payload()
    payload["card"].update(card)
    response = api.post("/v1/payment_methods", payload, format="json")
    assert response.status_code == 402, response.json()
    error = response.json()["error"]
    assert error["type"] == "card_error"
    assert (error["code"], error["param"]) == (code, param)
    assert PaymentMethod.objects.count() == 0
    assert VaultRecord.objects.count() == 0
    assert not Event.objects.exists()


def test_card_expired_this_year_is_expired_card_on_exp_month(api):
    now = dt.datetime.now(dt.UTC)
    if now.month == 1:
        pytest.skip("no earlier month in January")
    response = api.post(
        "/v1/payment_methods", card_payload(exp_month=now.month - 1, exp_year=now.year), format="json"
    )
    assert response.status_code == 402
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
        "expired_card",
        "card[exp_month]",
    )


@pytest.mark.parametrize(
    ("payload", "param", "code"),
    [
        ({"type": "card"}, "card", "parameter_missing"),
        ({"type": "card", "card": {"exp_month": 1, "exp_year": 2040}}, "card[number]", "parameter_missing"),
        (
            {"type": "card", "card": {"number": "4242424242424242", "exp_year": 2040}},
            "card[exp_month]",
            "parameter_missing",
        ),
        ({"type": "bitcoin"}, "type", "invalid_choice"),
        ({"card": {"number": "4242424242424242"}}, "type", "parameter_missing"),
        (
            {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2040, "pin": "1"},
            },
            "card[pin]",
            "parameter_unknown",
        ),
        ({"type": "sepa_debit"}, "sepa_debit", "parameter_missing"),
        ({"type": "card", "sepa_debit": {"iban": "x"}}, "sepa_debit", "parameter_invalid"),
    ],
)
def test_malformed_payment_method_requests_name_the_param(api, payload, param, code):
    response = api.post("/v1/payment_methods", payload, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    assert PaymentMethod.objects.count() == 0
    assert VaultRecord.objects.count() == 0


def test_cvc_is_never_stored(api):
    api.post("/v1/payment_methods", card_payload(cvc="987"), format="json")
    pm = PaymentMethod.objects.get()
    assert not any(f.name == "cvc" for f in PaymentMethod._meta.get_fields())
    assert "987" not in str(pm.vault_record.ciphertext)


def test_same_card_same_fingerprint_within_merchant_different_across(api, api_other):
    a = api.post("/v1/payment_methods", card_payload(), format="json").json()["card"]["fingerprint"]
    b = api.post("/v1/payment_methods", card_payload(exp_month=1, exp_year=2035), format="json").json()
    c = api_other.post("/v1/payment_methods", card_payload(), format="json").json()["card"]["fingerprint"]
    d = api.post("/v1/payment_methods", card_payload("5555555555554444"), format="json").json()["card"][
        "fingerprint"
    ]
    assert a == b["card"]["fingerprint"]
    assert a != c
    assert a != d


def test_sepa_debit_iban_is_encrypted_and_last4_shown(api):
    response = api.post(
        "/v1/payment_methods",
        {
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89 3704 0044 0532 0130 00"},
            "billing_details": {"name": "Max"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["sepa_debit"]["last4"] == "3000"
    assert body["sepa_debit"]["country"] == "DE"
    assert body["sepa_debit"]["bank_code"] == "37040044"
    assert "DE89370400440532013000" not in response.content.decode()
    assert PaymentMethod.objects.get().vault_record.kind == "iban"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",
        "DE893704004405320130",
        "XX89370400440532013000",
        "BR1800360305000010009795493C1",
    ],
)
def test_bad_iban_is_rejected_with_param_and_stores_nothing(api, iban):
    response = api.post(
        "/v1/payment_methods", {"type": "sepa_debit", "sepa_debit": {"iban": iban}}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_bank_account_iban", "sepa_debit[iban]")
    assert VaultRecord.objects.count() == 0


def test_us_bank_account(api):
    response = api.post(
        "/v1/payment_methods",
        {
            "type": "us_bank_account",
            "us_bank_account": {
                "routing_number": "110000000",
                "account_number": "000123456789",
                "account_type": "savings",
            },
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    bank = response.json()["us_bank_account"]
    assert bank == {**bank, "last4": "6789", "routing_number": "110000000", "account_type": "savings",
                    "account_holder_type": "individual"}  # fmt: skip
    assert "000123456789" not in response.content.decode()


@pytest.mark.parametrize(
    ("bank", "code", "param"),
    [
        ({"routing_number": "110000001", "account_number": "000123456789"}, "routing_number_invalid",
         "us_bank_account[routing_number]"),
        ({"routing_number": "1100", "account_number": "000123456789"}, "routing_number_invalid",
         "us_bank_account[routing_number]"),
        ({"routing_number": "110000000", "account_number": "12"}, "account_number_invalid",
         "us_bank_account[account_number]"),
        ({"routing_number": "110000000", "account_number": "12ab5678"}, "account_number_invalid",
         "us_bank_account[account_number]"),
    ],
)  # fmt: skip
def test_bad_us_bank_account(api, bank, code, param):
    response = api.post(
        "/v1/payment_methods", {"type": "us_bank_account", "us_bank_account": bank}, format="json"
    )
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (code, param)
    assert VaultRecord.objects.count() == 0


@pytest.mark.parametrize("wallet", ["apple_pay", "google_pay"])
def test_wallet_types_carry_provider_token(api, wallet):
    response = api.post(
        "/v1/payment_methods",
        {
            "type": wallet,
            wallet: {"token": f"{wallet}_tok_abc123", "card_brand": "visa", "dynamic_last4": "4242"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body[wallet]["type"] == wallet
    assert body[wallet]["dynamic_last4"] == "4242"
    assert "tok_abc123" not in response.content.decode()
    pm = PaymentMethod.objects.get(public_id=body["id"])
    assert pm.wallet_token == f"{wallet}_tok_abc123"
    assert pm.vault_record is None


def test_paypal(api):
    body = api.post(
        "/v1/payment_methods",
        {"type": "paypal", "paypal": {"token": "BA-12345", "payer_email": "Buyer@Example.com"}},
        format="json",
    ).json()
    assert body["paypal"]["payer_email"] == "buyer@example.com"


def test_wallet_token_that_is_a_card_number_is_refused(api):
    response = api.post(
        "/v1/payment_methods",
        {"type": "apple_pay", "apple_pay": {"token": "x 4242 4242 4242 4242 y"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "apple_pay[token]"
    assert PaymentMethod.objects.count() == 0


# --- tokens ------------------------------------------------------------------------------------------


def test_publishable_key_tokenizes_then_secret_key_creates_payment_method(api, publishable):
    response = publishable.post(
        "/v1/tokens", {"card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2033, "cvc": "314",
                                "name": "Jane", "address_zip": "94107"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    token = response.json()
    assert token["id"].startswith("tok_")
    assert token["card"]["last4"] == "4242"
    assert token["used"] is False
    pm = api.post("/v1/payment_methods", {"type": "card", "token": token["id"]}, format="json")
    assert pm.status_code == 200, pm.json()
    body = pm.json()
    assert body["card"]["last4"] == "4242"
    assert body["card"]["fingerprint"] == token["card"]["fingerprint"]
    assert body["billing_details"]["name"] == "Jane"
    assert body["billing_details"]["address"]["postal_code"] == "94107"
    again = api.post("/v1/payment_methods", {"type": "card", "token": token["id"]}, format="json")
    assert again.status_code == 400
    assert (again.json()["error"]["code"], again.json()["error"]["param"]) == ("token_already_used", "token")
    assert api.get(f"/v1/tokens/{token['id']}").json()["used"] is True


def test_card_token_form_is_accepted(api, publishable):
    token = publishable.post(
        "/v1/tokens",
        {"card": {"number": "5555555555554444", "exp_month": 4, "exp_year": 2033}},
        format="json",
    ).json()["id"]
    body = api.post("/v1/payment_methods", {"type": "card", "card": {"token": token}}, format="json").json()
    assert body["card"]["brand"] == "mastercard"


def test_expired_token_is_refused(api, publishable):
    token = publishable.post(
        "/v1/tokens",
        {"card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2033}},
        format="json",
    ).json()["id"]
    Token.objects.filter(public_id=token).update(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    response = api.post("/v1/payment_methods", {"type": "card", "token": token}, format="json")
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("token_expired", "token")
    assert PaymentMethod.objects.count() == 0


def test_unknown_token_is_404_naming_token(api):
    response = api.post("/v1/payment_methods", {"type": "card", "token": "tok_nope"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "token"


def test_bad_card_on_tokens_endpoint_is_402_and_stores_nothing(publishable):
    response = publishable.post(
        "/v1/tokens",
        {"card": {"number": "4242424242424241", "exp_month": 4, "exp_year": 2033}},
        format="json",
    )
    assert response.status_code == 402
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
        "incorrect_number",
        "card[number]",
    )
    assert Token.objects.count() == 0 and VaultRecord.objects.count() == 0


# --- attach / detach / default / update / delete ----------------------------------------------------


def test_attach_with_only_customer_records_unspecified_consent_as_stripe(api):
    cus = _customer(api)
    pm = api.post("/v1/payment_methods", card_payload(), format="json").json()["id"]
    ok = api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus}, format="json")
    assert ok.status_code == 200, ok.json()
    assert (ok.json()["customer"], ok.json()["allow_redisplay"]) == (cus, "unspecified")


def _require_consent(api):
    api.merchant.settings.require_redisplay_consent = True
    api.merchant.settings.save()


def test_attach_needs_consent_then_lists_under_customer(api):
    _require_consent(api)
    cus = _customer(api)
    pm = api.post("/v1/payment_methods", card_payload(), format="json").json()["id"]
    refused = api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus}, format="json")
    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        "consent_required",
        "allow_redisplay",
    )
    ok = api.post(
        f"/v1/payment_methods/{pm}/attach", {"customer": cus, "allow_redisplay": "always"}, format="json"
    )
    assert ok.status_code == 200, ok.json()
    body = ok.json()
    assert body["customer"] == cus
    assert body["allow_redisplay"] == "always"
    assert body["consent"]["collected_at"] is not None
    assert Event.objects.filter(type="payment_method.attached").count() == 1
    listed = api.get(f"/v1/customers/{cus}/payment_methods").json()["data"]
    assert [p["id"] for p in listed] == [pm]
    assert [p["id"] for p in api.get("/v1/payment_methods", {"customer": cus}).json()["data"]] == [pm]
    assert api.get("/v1/payment_methods", {"customer": cus, "type": "sepa_debit"}).json()["data"] == []


def test_create_with_customer_and_consent(api):
    _require_consent(api)
    cus = _customer(api)
    body = api.post(
        "/v1/payment_methods", card_payload(customer=cus, allow_redisplay="limited"), format="json"
    ).json()
    assert body["customer"] == cus
    refused = api.post("/v1/payment_methods", card_payload(customer=cus), format="json")
    assert refused.json()["error"]["code"] == "consent_required"
    assert PaymentMethod.objects.count() == 1


def test_attach_to_another_customer_is_refused_and_detach_works(api):
    first, second = _customer(api), _customer(api, "d@example.com")
    pm = api.post(
        "/v1/payment_methods", card_payload(customer=first, allow_redisplay="always"), format="json"
    ).json()["id"]
    clash = api.post(
        f"/v1/payment_methods/{pm}/attach", {"customer": second, "allow_redisplay": "always"}, format="json"
    )
    assert clash.status_code == 400
    assert clash.json()["error"]["code"] == "payment_method_unexpected_state"
    detached = api.post(f"/v1/payment_methods/{pm}/detach", {}, format="json")
    assert detached.status_code == 200
    assert detached.json()["customer"] is None
    assert Event.objects.filter(type="payment_method.detached").count() == 1
    again = api.post(f"/v1/payment_methods/{pm}/detach", {}, format="json")
    assert again.json()["error"]["code"] == "payment_method_unexpected_state"


def test_one_default_per_customer(api):
    cus = _customer(api)
    a = api.post(
        "/v1/payment_methods", card_payload(customer=cus, allow_redisplay="always"), format="json"
    ).json()["id"]
    b = api.post(
        "/v1/payment_methods",
        card_payload("5555555555554444", customer=cus, allow_redisplay="always"),
        format="json",
    ).json()["id"]
    assert (
        api.post(f"/v1/payment_methods/{a}", {"is_default": True}, format="json").json()["is_default"] is True
    )
    assert api.get(f"/v1/customers/{cus}").json()["invoice_settings"]["default_payment_method"] == a
    assert (
        api.post(f"/v1/payment_methods/{b}", {"is_default": True}, format="json").json()["is_default"] is True
    )
    assert api.get(f"/v1/payment_methods/{a}").json()["is_default"] is False
    assert api.get(f"/v1/customers/{cus}").json()["invoice_settings"]["default_payment_method"] == b
    loose = api.post("/v1/payment_methods", card_payload(), format="json").json()["id"]
    refused = api.post(f"/v1/payment_methods/{loose}", {"is_default": True}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "is_default"


def test_update_billing_metadata_nickname_and_expiry(api):
    pm = api.post("/v1/payment_methods", card_payload(metadata={"a": "1"}), format="json").json()["id"]
    response = api.post(
        f"/v1/payment_methods/{pm}",
        {"billing_details": {"name": "New Name"}, "metadata": {"b": "2"}, "nickname": "Work card",
         "card": {"exp_month": 3, "exp_year": 2036}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["billing_details"]["name"] == "New Name"
    assert body["metadata"] == {"a": "1", "b": "2"}
    assert body["nickname"] == "Work card"
    assert (body["card"]["exp_month"], body["card"]["exp_year"]) == (3, 2036)
    event = Event.objects.get(type="payment_method.updated")
    assert event.previous_attributes["card"] == {"exp_month": 12, "exp_year": 2034}
    bad = api.post(f"/v1/payment_methods/{pm}", {"card": {"exp_month": 13}}, format="json")
    assert bad.status_code == 402
    assert (bad.json()["error"]["code"], bad.json()["error"]["param"]) == (
        "invalid_expiry_month",
        "card[exp_month]",
    )
    assert api.get(f"/v1/payment_methods/{pm}").json()["card"]["exp_month"] == 3


def test_delete_is_soft_audited_and_payment_method_disappears(api):
    cus = _customer(api)
    pm = api.post(
        "/v1/payment_methods", card_payload(customer=cus, allow_redisplay="always"), format="json"
    ).json()["id"]
    response = api.delete(f"/v1/payment_methods/{pm}", {"reason": "customer asked"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": pm, "object": "payment_method", "deleted": True}
    row = PaymentMethod.objects.get(public_id=pm)
    assert row.deleted_at is not None
    assert AuditEntry.objects.get(action="payment_method.deleted", object_id=pm).reason == "customer asked"
    assert api.get(f"/v1/payment_methods/{pm}").status_code == 404
    assert api.get(f"/v1/customers/{cus}/payment_methods").json()["data"] == []
    assert api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus, "allow_redisplay": "always"},
                    format="json").status_code == 404  # fmt: skip


def test_deleting_customer_detaches_its_payment_methods(api):
    cus = _customer(api)
    pm = api.post(
        "/v1/payment_methods", card_payload(customer=cus, allow_redisplay="always"), format="json"
    ).json()["id"]
    api.delete(f"/v1/customers/{cus}")
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] is None


def test_a_merchant_requires_consent_through_its_settings(api):
    etag = api.get("/v1/settings")["ETag"]
    resp = api.patch("/v1/settings", {"require_redisplay_consent": True}, format="json", HTTP_IF_MATCH=etag)
    assert resp.status_code == 200, resp.json()
    assert resp.json()["require_redisplay_consent"] is True
    cus = _customer(api)
    pm = api.post("/v1/payment_methods", card_payload(), format="json").json()["id"]
    refused = api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus}, format="json")
    assert refused.json()["error"]["code"] == "consent_required"
