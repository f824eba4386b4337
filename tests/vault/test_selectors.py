"""Tenant-scoped reads: another merchant's object (or the other mode's) is not found."""

import pytest

from apps.core.errors import NotFoundError, StateConflictError
from apps.vault import selectors, services
from tests.vault.factories import ACTOR, make_card

pytestmark = pytest.mark.django_db


def test_payment_method_get_is_tenant_and_mode_scoped(merchant, other_merchant):
    pm = make_card(merchant)
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
    pm = make_card(merchant)
    services.payment_method_delete(payment_method=pm, actor=ACTOR, reason="test")
    with pytest.raises(NotFoundError):
        selectors.payment_method_get(merchant=merchant, livemode=False, id=pm.public_id)
    deleted = selectors.payment_method_get(
        merchant=merchant, livemode=False, id=pm.public_id, include_deleted=True
    )
    assert deleted.deleted_at is not None
    with pytest.raises(StateConflictError):
        services.vault_detokenize(payment_method=deleted, purpose="authorize", actor=ACTOR)
