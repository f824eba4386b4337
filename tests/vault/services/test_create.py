"""Creating payment methods: the fields other apps read, validation before anything is stored, consent."""

import pytest

from apps.core.errors import CardError
from apps.vault import services
from apps.vault.models import PaymentMethod, VaultRecord
from apps.vault.payloads import payment_method_to_dict
from tests.vault.factories import ACTOR, make_card

pytestmark = pytest.mark.django_db


def test_create_card_sets_the_fields_other_apps_read(merchant):
    pm = make_card(merchant, "4000000760000002")
    assert pm.type == "card"
    assert (pm.card_brand, pm.card_last4, pm.card_exp_month, pm.card_exp_year) == ("visa", "0002", 12, 2034)
    assert (pm.card_funding, pm.card_country) == ("credit", "BR")
    assert pm.fingerprint and pm.customer is None and pm.deleted_at is None
    assert payment_method_to_dict(pm)["card"]["last4"] == "0002"


def test_create_card_validation_raises_card_error_and_stores_nothing(merchant):
    with pytest.raises(CardError) as exc:
        make_card(merchant, "4242424242424241")
    assert (exc.value.code, exc.value.param, exc.value.status) == ("incorrect_number", "card[number]", 402)
    assert PaymentMethod.objects.count() == 0
    assert VaultRecord.objects.count() == 0


def test_create_card_with_customer_needs_consent_only_where_the_merchant_requires_it(merchant):
    from apps.core.errors import InvalidRequestError

    customer = services.customer_create(merchant=merchant, livemode=False, actor=ACTOR)
    assert make_card(merchant, customer=customer).allow_redisplay == "unspecified"
    merchant.settings.require_redisplay_consent = True
    merchant.settings.save()
    with pytest.raises(InvalidRequestError) as exc:
        make_card(merchant, "5555555555554444", customer=customer)
    assert exc.value.param == "allow_redisplay"
    pm = make_card(merchant, customer=customer, allow_redisplay="always")
    assert pm.customer == customer and pm.consent_collected_at is not None
