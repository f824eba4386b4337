"""The charge's side tables (issue 21: models.ChargeReference, models.UnresolvedAttempt, kept by
the triggers of migration 0008) say what the charge columns say, whoever writes the charge — the
hot path's CTE statements, the ORM path, a queryset ``update()`` — and the lookups that read them
(selectors.charges_by_gateway_reference, charges_unresolved) find exactly the charges the column
filters would find. And the step-3 charge UPDATE they exist for is HOT."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings

from apps.connectors.sandbox.cards import STRIPE_TEST_IDS
from apps.intents import services
from apps.intents.models import Charge, ChargeReference, UnresolvedAttempt
from apps.intents.selectors import (
    charge_gateway_reference_q,
    charges_by_gateway_reference,
    charges_unresolved,
)
from tests.intents.helpers import pay


def _agree() -> None:
    """The side tables hold exactly what the charge columns imply."""
    open_ids = set(Charge.objects.filter(status__in=UnresolvedAttempt.STATUSES).values_list("pk", flat=True))
    assert set(UnresolvedAttempt.objects.values_list("charge_id", flat=True)) == open_ids
    references = set(ChargeReference.objects.values_list("gateway_reference", "charge_id"))
    current = set(Charge.objects.exclude(gateway_reference="").values_list("gateway_reference", "pk"))
    assert current <= references  # insert-only: a reference the charge no longer carries stays
    for reference, charge_id in current:
        assert set(charges_by_gateway_reference(reference).values_list("pk", flat=True)) == set(
            Charge.objects.filter(gateway_reference=reference).values_list("pk", flat=True)
        ), (reference, charge_id)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("hot", [True, False])
def test_both_write_paths_keep_the_side_tables(api, card, hot):
    with override_settings(INTENTS_HOT_SQL=hot):
        done = pay(api, card()).json()
        assert (
            pay(api, card(STRIPE_TEST_IDS["chargeDeclined"])).status_code == 402
        )  # the sandbox's decline card
        unknown = pay(api, card(), metadata={"sandbox_fault": "timeout_after_processing"}).json()
    charge = Charge.objects.get(public_id=done["latest_charge"])
    assert charge.status == "succeeded" and charge.gateway_reference
    assert list(charges_by_gateway_reference(charge.gateway_reference)) == [charge]
    assert Charge.objects.filter(status="failed").count() == 1
    open_charge = Charge.objects.get(public_id=unknown["latest_charge"])
    assert open_charge.status == "unknown"
    assert list(charges_unresolved()) == [open_charge]
    _agree()
    with override_settings(INTENTS_HOT_SQL=hot):
        assert services.payment_intents_recheck(older_than=timedelta(0))["authorizations"] == 1
    assert not charges_unresolved().exists()
    _agree()


@pytest.mark.django_db
def test_queryset_updates_keep_the_side_tables(api, card):
    """A writer that bypasses the services (a data fix, a test's ``update()``) keeps them too."""
    charge = Charge.objects.get(public_id=pay(api, card()).json()["latest_charge"])
    old = charge.gateway_reference
    Charge.objects.filter(pk=charge.pk).update(gateway_reference="psp_new_ref", status="pending")
    assert list(charges_by_gateway_reference("psp_new_ref")) == [charge]
    assert not charges_by_gateway_reference(old).exists()  # the charge no longer carries it
    assert list(charges_unresolved()) == [charge]
    Charge.objects.filter(pk=charge.pk).update(status="unknown")  # open → open: the row stays
    assert list(charges_unresolved()) == [charge]
    Charge.objects.filter(pk=charge.pk).update(status="succeeded", gateway_reference=old)
    assert not charges_unresolved().exists()
    assert list(charges_by_gateway_reference(old)) == [charge]
    assert not charges_by_gateway_reference("").exists()
    assert list(Charge.objects.filter(charge_gateway_reference_q(old))) == [charge]
    _agree()


@pytest.mark.django_db(transaction=True)
def test_the_step_three_charge_update_is_hot(api, card):
    """Neither status nor gateway_reference is indexed any more: the UPDATE recording the
    provider's answer keeps the row in its page and writes no index entry (n_tup_hot_upd)."""
    assert connection.vendor == "postgresql"
    pay(api, card())  # warm

    def counters():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'intents_charge'"
            )
            return cursor.fetchone()

    before = counters()
    with override_settings(INTENTS_HOT_SQL=True):
        for _ in range(3):
            assert pay(api, card()).json()["status"] == "succeeded"
    after = counters()
    updates, hot = after[0] - before[0], after[1] - before[1]
    assert updates == 3
    assert hot == updates
