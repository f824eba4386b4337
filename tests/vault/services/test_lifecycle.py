"""A payment method after creation: one default per customer."""

import pytest

from apps.vault import services
from apps.vault.models import PaymentMethod
from tests.vault.factories import ACTOR, make_card

pytestmark = pytest.mark.django_db


def test_one_default_is_enforced_by_the_database(merchant):
    from django.db import IntegrityError

    customer = services.customer_create(merchant=merchant, livemode=False, actor=ACTOR)
    a = make_card(merchant, customer=customer, allow_redisplay="always")
    b = make_card(merchant, "5555555555554444", customer=customer, allow_redisplay="always")
    PaymentMethod.objects.filter(pk=a.pk).update(is_default=True)
    with pytest.raises(IntegrityError):
        PaymentMethod.objects.filter(pk=b.pk).update(is_default=True)
