"""The payment path's read of a payment method (issue 21): on PostgreSQL one statement without
Django's compiler (apps/vault/sql.py), the ORM's select_related read elsewhere. Both give the same
rows and the same related objects, so the confirm path cannot tell them apart."""

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors.sandbox.cards import STRIPE_TEST_IDS
from apps.vault import services as vault_services
from apps.vault.models import Customer, CvcHold, PaymentMethod
from apps.vault.selectors import payment_method_for_payment

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


def _card(merchant, *, cvc="737", customer=None):
    pm = vault_services.payment_method_create_card(
        merchant=merchant, livemode=False, number=STRIPE_TEST_IDS["visa"], exp_month=12, exp_year=2034, cvc=cvc,
        actor=ACTOR,
    )  # fmt: skip
    if customer is not None:
        PaymentMethod.objects.filter(pk=pm.pk).update(customer=customer)
    return pm


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _both(merchant, public_id):
    with override_settings(INTENTS_HOT_SQL=True):
        lean = payment_method_for_payment(merchant=merchant, livemode=False, id=public_id)
    with override_settings(INTENTS_HOT_SQL=False):
        orm = payment_method_for_payment(merchant=merchant, livemode=False, id=public_id)
    return lean, orm


def _assert_same(lean, orm, django_assert_num_queries):
    assert _values(lean) == _values(orm)
    with django_assert_num_queries(0):  # every related object came with the one statement
        assert lean.merchant is orm.merchant
        assert (lean.customer and _values(lean.customer)) == (orm.customer and _values(orm.customer))
        assert _values(lean.vault_record) == _values(orm.vault_record)
        assert lean.vault_record.payment_method is lean
        lean_hold = (
            getattr(lean.vault_record, "cvc_hold", None) if hasattr(lean.vault_record, "cvc_hold") else None
        )
        orm_hold = (
            getattr(orm.vault_record, "cvc_hold", None) if hasattr(orm.vault_record, "cvc_hold") else None
        )
        assert (lean_hold and _values(lean_hold)) == (orm_hold and _values(orm_hold))
        if lean_hold is not None:
            assert lean_hold.vault_record is lean.vault_record
    assert lean._state.adding is False and lean._state.db == orm._state.db


def test_the_lean_read_gives_the_orm_reads_rows_with_customer_record_and_cvc_hold(
    merchant, django_assert_num_queries
):
    customer = Customer.objects.create(merchant=merchant, livemode=False, email="a@example.com")
    pm = _card(merchant, customer=customer)
    assert CvcHold.objects.filter(vault_record_id=pm.vault_record_id).exists()
    lean, orm = _both(merchant, pm.public_id)
    _assert_same(lean, orm, django_assert_num_queries)
    assert lean.customer.pk == customer.pk


def test_the_lean_read_without_customer_or_cvc_hold_matches_the_orm_read(merchant, django_assert_num_queries):
    pm = _card(merchant, cvc=None)
    lean, orm = _both(merchant, pm.public_id)
    _assert_same(lean, orm, django_assert_num_queries)
    assert lean.customer is None
    assert not hasattr(lean.vault_record, "cvc_hold")  # the reverse accessor raises, as after select_related


def test_the_lean_read_answers_404_for_another_tenant_a_deleted_card_and_the_other_mode(
    merchant, other_merchant
):
    from apps.core.errors import NotFoundError

    pm = _card(merchant)
    for hot in (True, False):
        with override_settings(INTENTS_HOT_SQL=hot):
            with pytest.raises(NotFoundError):
                payment_method_for_payment(merchant=other_merchant, livemode=False, id=pm.public_id)
            with pytest.raises(NotFoundError):
                payment_method_for_payment(merchant=merchant, livemode=True, id=pm.public_id)
    PaymentMethod.objects.filter(pk=pm.pk).update(deleted_at=timezone.now())
    for hot in (True, False):
        with override_settings(INTENTS_HOT_SQL=hot), pytest.raises(NotFoundError):
            payment_method_for_payment(merchant=merchant, livemode=False, id=pm.public_id)
