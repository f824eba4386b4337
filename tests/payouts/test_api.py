from apps.payouts.models import BankAccount
from tests.ledger.factories import fund

US = {
    "currency": "usd",
    "routing_number": "110000000",
    "account_number": "000123456789",
    "account_holder_name": "Acme",
}


def test_bank_account_is_validated_encrypted_and_shown_by_last4(api, merchant):
    resp = api.post("/v1/bank_accounts", US, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert (body["last4"], body["default_for_currency"], body["currency"]) == ("6789", True, "usd")
    assert "000123456789" not in resp.content.decode()
    row = BankAccount.objects.get(public_id=body["id"])
    assert b"000123456789" not in bytes(row.ciphertext)
    from apps.payouts.services import bank_account_number

    assert bank_account_number(row) == "000123456789"


def test_bad_bank_details_name_the_param(api):
    resp = api.post("/v1/bank_accounts", {**US, "routing_number": "123456789"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "routing_number"
    resp = api.post("/v1/bank_accounts", {"currency": "eur", "iban": "DE89370400440532013001"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "iban"
    resp = api.post("/v1/bank_accounts", {"currency": "eur"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "parameter_missing"
    resp = api.post("/v1/bank_accounts", {**US, "bogus": 1}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "bogus"


def test_one_default_per_currency_and_default_cannot_be_deleted(api):
    first = api.post("/v1/bank_accounts", US, format="json").json()
    second = api.post(
        "/v1/bank_accounts",
        {**US, "account_number": "000999999999", "default_for_currency": True},
        format="json",
    ).json()
    assert api.get(f"/v1/bank_accounts/{first['id']}").json()["default_for_currency"] is False
    assert second["default_for_currency"] is True
    resp = api.delete(f"/v1/bank_accounts/{second['id']}")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bank_account_is_default"
    assert api.delete(f"/v1/bank_accounts/{first['id']}").json()["deleted"] is True
    assert [a["id"] for a in api.get("/v1/bank_accounts").json()["data"]] == [second["id"]]


def test_payout_create_retrieve_list_cancel(api, api_other, merchant):
    fund(merchant, 10_000)
    bank = api.post("/v1/bank_accounts", US, format="json").json()
    resp = api.post(
        "/v1/payouts", {"amount": 4_000, "currency": "usd", "description": "weekly"}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    payout = resp.json()
    assert (payout["status"], payout["destination"], payout["amount"]) == ("pending", bank["id"], 4_000)
    assert api.get("/v1/balance").json()["available"] == [{"amount": 6_000, "currency": "usd"}]
    assert api.get(f"/v1/payouts/{payout['id']}").json()["id"] == payout["id"]
    assert api_other.get(f"/v1/payouts/{payout['id']}").status_code == 404
    assert [p["id"] for p in api.get("/v1/payouts", {"status": "pending"}).json()["data"]] == [payout["id"]]
    txns = api.get("/v1/balance_transactions", {"payout": payout["id"]}).json()["data"]
    assert [(t["type"], t["amount"]) for t in txns] == [("payout", -4_000)]
    canceled = api.post(f"/v1/payouts/{payout['id']}/cancel", {}, format="json").json()
    assert canceled["status"] == "canceled"
    assert api.get("/v1/balance").json()["available"] == [{"amount": 10_000, "currency": "usd"}]
    again = api.post(f"/v1/payouts/{payout['id']}/cancel", {}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "payout_not_cancelable"


def test_payout_errors(api, merchant):
    resp = api.post("/v1/payouts", {"amount": 1_000, "currency": "usd"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bank_account_missing"
    api.post("/v1/bank_accounts", US, format="json")
    resp = api.post("/v1/payouts", {"amount": 1_000, "currency": "usd"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "balance_insufficient"
    resp = api.post("/v1/payouts", {"amount": 10.5, "currency": "usd"}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "amount"
    resp = api.get("/v1/payouts", {"status": "lost"})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "status"


def test_payout_schedule_api(api):
    assert api.get("/v1/payout_schedule").json()["interval"] == "manual"
    body = api.post(
        "/v1/payout_schedule",
        {"interval": "weekly", "weekly_anchor": "friday", "minimum_amount": 5000},
        format="json",
    ).json()
    assert (body["interval"], body["weekly_anchor"], body["minimum_amount"]) == ("weekly", "friday", 5000)
    bad = api.post("/v1/payout_schedule", {"interval": "hourly"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "interval"


def test_payout_schedule_minimums_per_currency_over_the_wire(api):
    """minimum_amounts[usd]=5000 as a form body (how stripe-style clients send a hash), a JSON body
    merges, "" drops one currency, minimum_amounts= drops them all; minimum_amount is unchanged."""
    body = api.post(
        "/v1/payout_schedule",
        "minimum_amounts[usd]=5000&minimum_amounts[jpy]=500&minimum_amount=100",
        content_type="application/x-www-form-urlencoded",
    ).json()
    assert (body["minimum_amounts"], body["minimum_amount"]) == ({"jpy": 500, "usd": 5000}, 100)
    body = api.post(
        "/v1/payout_schedule", {"minimum_amounts": {"kwd": 5000, "usd": ""}}, format="json"
    ).json()
    assert body["minimum_amounts"] == {"jpy": 500, "kwd": 5000}
    assert api.get("/v1/payout_schedule").json()["minimum_amounts"] == {"jpy": 500, "kwd": 5000}
    cleared = api.post(
        "/v1/payout_schedule", "minimum_amounts=", content_type="application/x-www-form-urlencoded"
    ).json()
    assert (cleared["minimum_amounts"], cleared["minimum_amount"]) == ({}, 100)
    for bad in ({"minimum_amounts": {"xyz": 5}}, {"minimum_amounts": {"usd": -5}}, {"minimum_amounts": [1]}):
        resp = api.post("/v1/payout_schedule", bad, format="json")
        assert resp.status_code == 400 and resp.json()["error"]["param"].startswith("minimum_amounts"), (
            resp.json()
        )
