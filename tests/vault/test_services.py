"""The interface other apps call: selectors, card creation, audited detokenization."""

import pytest

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.core.errors import CardError, NotFoundError, StateConflictError
from apps.vault import selectors, services
from apps.vault.models import PaymentMethod, VaultRecord
from apps.vault.payloads import payment_method_to_dict

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def _card(merchant, number="4242424242424242", **kw):
    return services.payment_method_create_card(
        merchant=merchant,
        livemode=False,
        number=number,
        exp_month=12,
        exp_year=2034,
        cvc="123",
        actor=ACTOR,
        **kw,
    )


def test_payment_method_get_is_tenant_and_mode_scoped(merchant, other_merchant):
    pm = _card(merchant)
    assert selectors.payment_method_get(merchant=merchant, livemode=False, id=pm.public_id) == pm
    for m, live in ((other_merchant, False), (merchant, True)):
        with pytest.raises(NotFoundError) as exc:
            selectors.payment_method_get(merchant=m, livemode=live, id=pm.public_id)
        assert exc.value.param == "payment_method"
        assert exc.value.status == 404


def test_customer_get_is_tenant_scoped(merchant, other_merchant):
    customer = services.customer_create(merchant=merchant, livemode=False, actor=ACTOR, email="x@example.com")
    assert selectors.customer_get(merchant=merchant, livemode=False, id=customer.public_id) == customer
    with pytest.raises(NotFoundError) as exc:
        selectors.customer_get(merchant=other_merchant, livemode=False, id=customer.public_id)
    assert exc.value.param == "customer"


def test_deleted_payment_method_is_not_found_for_payment(merchant):
    pm = _card(merchant)
    services.payment_method_delete(payment_method=pm, actor=ACTOR, reason="test")
    with pytest.raises(NotFoundError):
        selectors.payment_method_get(merchant=merchant, livemode=False, id=pm.public_id)
    deleted = selectors.payment_method_get(
        merchant=merchant, livemode=False, id=pm.public_id, include_deleted=True
    )
    assert deleted.deleted_at is not None
    with pytest.raises(StateConflictError):
        services.vault_detokenize(payment_method=deleted, purpose="authorize", actor=ACTOR)


def test_create_card_sets_the_fields_other_apps_read(merchant):
    pm = _card(merchant, "4000000760000002")
    assert pm.type == "card"
    assert (pm.card_brand, pm.card_last4, pm.card_exp_month, pm.card_exp_year) == ("visa", "0002", 12, 2034)
    assert (pm.card_funding, pm.card_country) == ("credit", "BR")
    assert pm.fingerprint and pm.customer is None and pm.deleted_at is None
    assert payment_method_to_dict(pm)["card"]["last4"] == "0002"


def test_create_card_validation_raises_card_error_and_stores_nothing(merchant):
    with pytest.raises(CardError) as exc:
        _card(merchant, "4242424242424241")
    assert (exc.value.code, exc.value.param, exc.value.status) == ("incorrect_number", "card[number]", 402)
    assert PaymentMethod.objects.count() == 0
    assert VaultRecord.objects.count() == 0


def test_detokenize_returns_card_data_and_writes_audit(merchant):
    pm = _card(merchant)
    card = services.vault_detokenize(
        payment_method=pm, purpose="authorize", actor=Actor.system("connector:sandbox")
    )
    assert (card.number, card.exp_month, card.exp_year, card.brand) == ("4242424242424242", 12, 2034, "visa")
    assert "4242424242424242" not in repr(card)
    entry = AuditEntry.objects.get(action="vault.detokenize", object_id=pm.public_id)
    assert entry.after["purpose"] == "authorize"
    assert entry.actor_label == "connector:sandbox"
    assert "4242424242424242" not in str(entry.after)


def test_detokenize_bank_accounts(merchant):
    sepa = services.payment_method_create_sepa_debit(
        merchant=merchant, livemode=False, iban="DE89370400440532013000", actor=ACTOR
    )
    us = services.payment_method_create_us_bank_account(
        merchant=merchant,
        livemode=False,
        routing_number="110000000",
        account_number="000123456789",
        actor=ACTOR,
    )
    assert (
        services.vault_detokenize(payment_method=sepa, purpose="debit", actor=ACTOR).iban
        == "DE89370400440532013000"
    )
    data = services.vault_detokenize(payment_method=us, purpose="debit", actor=ACTOR)
    assert (data.routing_number, data.account_number) == ("110000000", "000123456789")
    assert "000123456789" not in repr(data)


def test_vault_record_copied_to_another_merchant_does_not_decrypt(merchant, other_merchant):
    from apps.vault.errors import VaultDecryptionError

    pm = _card(merchant)
    VaultRecord.objects.filter(pk=pm.vault_record_id).update(merchant=other_merchant)
    pm.refresh_from_db()
    with pytest.raises(VaultDecryptionError):
        services.vault_detokenize(payment_method=pm, purpose="authorize", actor=ACTOR)


def test_create_card_with_customer_needs_consent(merchant):
    from apps.core.errors import InvalidRequestError

    customer = services.customer_create(merchant=merchant, livemode=False, actor=ACTOR)
    with pytest.raises(InvalidRequestError) as exc:
        _card(merchant, customer=customer)
    assert exc.value.param == "allow_redisplay"
    pm = _card(merchant, customer=customer, allow_redisplay="always")
    assert pm.customer == customer and pm.consent_collected_at is not None


def test_one_default_is_enforced_by_the_database(merchant):
    from django.db import IntegrityError

    customer = services.customer_create(merchant=merchant, livemode=False, actor=ACTOR)
    a = _card(merchant, customer=customer, allow_redisplay="always")
    b = _card(merchant, "5555555555554444", customer=customer, allow_redisplay="always")
    PaymentMethod.objects.filter(pk=a.pk).update(is_default=True)
    with pytest.raises(IntegrityError):
        PaymentMethod.objects.filter(pk=b.pk).update(is_default=True)


def test_expired_unused_tokens_are_purged_with_their_vault_record(merchant):
    import datetime as dt

    from apps.vault.models import Token
    from apps.vault.tasks import token_purge_expired_task

    old = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    unused = services.token_create(
        merchant=merchant,
        livemode=False,
        number="4242424242424242",
        exp_month=1,
        exp_year=2035,
        cvc=None,
        actor=ACTOR,
    )
    used = services.token_create(
        merchant=merchant,
        livemode=False,
        number="5555555555554444",
        exp_month=1,
        exp_year=2035,
        cvc=None,
        actor=ACTOR,
    )
    fresh = services.token_create(
        merchant=merchant,
        livemode=False,
        number="6011111111111117",
        exp_month=1,
        exp_year=2035,
        cvc=None,
        actor=ACTOR,
    )
    pm = services.payment_method_create_from_token(
        merchant=merchant, livemode=False, token=used.public_id, actor=ACTOR
    )
    Token.objects.filter(pk__in=[unused.pk, used.pk]).update(expires_at=old)
    assert token_purge_expired_task() == 1
    assert set(Token.objects.values_list("public_id", flat=True)) == {used.public_id, fresh.public_id}
    assert not VaultRecord.objects.filter(pk=unused.vault_record_id).exists()
    assert VaultRecord.objects.filter(pk=pm.vault_record_id).exists()
    assert token_purge_expired_task() == 0
