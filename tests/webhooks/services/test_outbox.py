"""The outbox publishes the events of one committed transaction together (one broker message;
the fan-out marks them enqueued), never events of rolled-back work, and
`events_publish_deferred` publishes the events of several transactions once at its end. Real
commits (transaction=True); tasks run eagerly."""

import pytest
from django.db import transaction

from apps.webhooks import services
from apps.webhooks.models import Event
from apps.webhooks.services import publishing
from tests.merchants.factories import MerchantFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def publishes(monkeypatch):
    """Records each broker publish (task name, args) and still publishes it."""
    calls = []
    real = publishing.task_publish

    def spy(task, *args):
        calls.append((task.name, args))
        return real(task, *args)

    monkeypatch.setattr(publishing, "task_publish", spy)
    return calls


def _record(merchant, type_):
    return services.event_record(merchant=merchant, livemode=False, type=type_, data={"id": type_})


def test_events_of_one_transaction_are_published_once(publishes):
    merchant = MerchantFactory()
    with transaction.atomic():
        events = [_record(merchant, f"test.{i}") for i in range(3)]
        assert not publishes  # nothing before the commit
    assert len(publishes) == 1
    assert sorted(publishes[0][1][0]) == sorted(e.pk for e in events)
    rows = Event.objects.filter(pk__in=[e.pk for e in events])
    assert all(row.enqueued_at is not None and row.fanned_out_at is not None for row in rows)


def test_events_record_writes_several_rows_in_order(publishes):
    merchant = MerchantFactory()
    with transaction.atomic():
        rows = services.events_record(
            merchant=merchant,
            livemode=False,
            events=[
                ("charge.succeeded", {"id": "ch_1"}, None),
                ("payment_intent.succeeded", {"id": "pi_1"}, None),
            ],
        )
    stored = list(Event.objects.filter(pk__in=[r.pk for r in rows]).order_by("public_id"))
    assert [e.type for e in stored] == ["charge.succeeded", "payment_intent.succeeded"]
    assert all(e.public_id.startswith("evt_") and e.enqueued_at is not None for e in stored)
    assert len(publishes) == 1


def test_rolled_back_work_is_never_enqueued(publishes):
    merchant = MerchantFactory()
    with transaction.atomic():
        kept = _record(merchant, "test.kept")
        try:
            with transaction.atomic():
                _record(merchant, "test.rolled_back")
                raise RuntimeError
        except RuntimeError:
            pass
        after = _record(merchant, "test.after")
    assert set(Event.objects.values_list("type", flat=True)) == {"test.kept", "test.after"}
    published = {pk for _, args in publishes for pk in (args[0] if isinstance(args[0], list) else [args[0]])}
    assert {kept.pk, after.pk} <= published
    assert Event.objects.filter(enqueued_at__isnull=True).count() == 0

    publishes.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(merchant, "test.whole_transaction_rolled_back")
        raise RuntimeError
    assert not publishes
    with transaction.atomic():
        last = _record(merchant, "test.next_transaction")
    assert [args for _, args in publishes] == [([last.pk], "")]  # eager: not coalesced, no flag


def test_deferred_publishing_covers_several_transactions(publishes):
    merchant = MerchantFactory()
    with services.events_publish_deferred():
        with transaction.atomic():
            first = _record(merchant, "test.first")
        with transaction.atomic():
            second = _record(merchant, "test.second")
        assert not publishes
        assert Event.objects.filter(enqueued_at__isnull=True).count() == 2  # the sweeper's view
    assert len(publishes) == 1
    assert sorted(publishes[0][1][0]) == sorted([first.pk, second.pk])
    assert Event.objects.filter(enqueued_at__isnull=True).count() == 0


def test_deferred_publishing_covers_an_autocommit_write_too(publishes):
    """create+confirm's first write is one statement in autocommit (no transaction block): its
    event waits for the block's one message like the events of the later transaction."""
    merchant = MerchantFactory()
    with services.events_publish_deferred():
        first = _record(merchant, "test.autocommit")
        with transaction.atomic():
            second = _record(merchant, "test.transaction")
        assert not publishes
    assert len(publishes) == 1
    assert sorted(publishes[0][1][0]) == sorted([first.pk, second.pk])
    assert Event.objects.filter(enqueued_at__isnull=True).count() == 0
