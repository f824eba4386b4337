from tests.intents.helpers import pay


def test_success_card_create_confirm(api, card):
    resp = pay(api, card())
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["status"] == "succeeded"
    assert body["amount_received"] == 2000
