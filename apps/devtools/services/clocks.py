"""Test clocks (`/v1/test_helpers/test_clocks`, Stripe's shape): a merchant's sandbox time.

While a clock exists, the merchant's test-mode objects created since it was made run on its time:
the owners' beat tasks leave them alone (apps.core.clock.clock_filter) and an advance — a Celery
job, status ``advancing`` then ``ready`` — runs every owner's registered sweeper (authorization
expiry, dispute deadlines and reminders, settlement, payout arrivals, settlement days and files,
webhook retries), each with the same code as its beat task, for the clock's objects and at the
clock's time.

Objects keep wall-clock timestamps. For the objects created in one window (between two advances)
the clock's time corresponds to ``window end + (frozen_time - window's frozen time)`` on the wall
clock; that is the ``now`` each sweeper gets. Between two advances objects also age by the wall
time that passes (seconds, in a test), which Stripe's frozen clocks do not.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core import clock
from apps.webhooks.services import event_record

from ..errors import TestClockExists, TestClockNotReady, TestClockTimeInvalid
from ..models import TestClock
from ..payloads import test_clock_to_dict
from ..tasks import test_clock_advance_task

logger = logging.getLogger(__name__)

CLOCK_LIFETIME = dt.timedelta(days=30)  # Stripe deletes a test clock 30 days after its creation
MAX_ADVANCE = dt.timedelta(days=2 * 366)


def _event(clock_: TestClock, type_: str) -> None:
    event_record(
        merchant=clock_.merchant, livemode=clock_.livemode, type=type_, data=test_clock_to_dict(clock_)
    )


def test_clock_create(*, merchant, livemode: bool, frozen_time: dt.datetime, name: str = "", actor: Actor):
    now = timezone.now()
    try:
        with transaction.atomic():
            clock_ = TestClock.objects.create(
                merchant=merchant, livemode=livemode, name=name, frozen_time=frozen_time,
                windows=[{"from": now.isoformat(), "frozen": frozen_time.isoformat()}],
                deletes_after=now + CLOCK_LIFETIME,
            )  # fmt: skip
            audit_record(actor=actor, action="test_clock.created", merchant=merchant, obj=clock_,
                         after={"frozen_time": frozen_time.isoformat(), "name": name})  # fmt: skip
            _event(clock_, "test_helpers.test_clock.created")
    except IntegrityError:
        existing = TestClock.objects.filter(
            merchant=merchant, livemode=livemode, deleted_at__isnull=True
        ).first()
        raise TestClockExists(existing=existing.public_id if existing else "another clock") from None
    return clock_


def test_clock_delete(*, clock_: TestClock, actor: Actor) -> TestClock:
    """The clock goes; the objects that ran on it return to the wall clock (their deadlines, in
    wall-clock time, are then the beat tasks' again)."""
    with transaction.atomic():
        locked = TestClock.objects.select_for_update().get(pk=clock_.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.save(update_fields=["deleted_at", "updated_at"])
            audit_record(actor=actor, action="test_clock.deleted", merchant=locked.merchant, obj=locked)
            _event(locked, "test_helpers.test_clock.deleted")
    return locked


def test_clock_advance(*, clock_: TestClock, frozen_time: dt.datetime, actor: Actor) -> TestClock:
    """Moves the clock to ``frozen_time`` (later than its time, at most two years on) and queues
    the job that fires what happened meanwhile; the clock is ``advancing`` until it is done."""
    now = timezone.now()
    with transaction.atomic():
        locked = TestClock.objects.select_for_update().get(pk=clock_.pk)
        if locked.status != TestClock.Status.READY:
            raise TestClockNotReady(clock=locked.public_id, clock_status=locked.status)
        if frozen_time <= locked.frozen_time or frozen_time - locked.frozen_time > MAX_ADVANCE:
            raise TestClockTimeInvalid(current=int(locked.frozen_time.timestamp()))
        previous = locked.frozen_time
        locked.windows = [*locked.windows, {"from": now.isoformat(), "frozen": frozen_time.isoformat()}]
        locked.frozen_time = frozen_time
        locked.status = TestClock.Status.ADVANCING
        locked.save(update_fields=["windows", "frozen_time", "status", "updated_at"])
        audit_record(actor=actor, action="test_clock.advanced", merchant=locked.merchant, obj=locked,
                     before={"frozen_time": previous.isoformat()},
                     after={"frozen_time": frozen_time.isoformat()})  # fmt: skip
        _event(locked, "test_helpers.test_clock.advancing")
        pk = locked.pk
        transaction.on_commit(lambda: test_clock_advance_task.delay(pk))
    return locked


def test_clock_scopes(clock_: TestClock) -> list[clock.ClockScope]:
    """One scope per window of creation times before the latest advance, with the wall-clock
    equivalents of the clock's time before (``previous``) and after (``now``) that advance."""
    windows = [
        (dt.datetime.fromisoformat(w["from"]), dt.datetime.fromisoformat(w["frozen"])) for w in clock_.windows
    ]
    if len(windows) < 2:
        return []
    target, before = windows[-1][1], windows[-2][1]
    scopes = []
    for (start, frozen), (end, _next) in itertools.pairwise(windows):
        scope = clock.ClockScope(
            clock=clock_.public_id,
            merchant_id=clock_.merchant_id,
            livemode=clock_.livemode,
            created_from=start,
            created_to=end,
            previous=end + (before - frozen),
            now=end + (target - frozen),
        )
        scopes.append(scope)
    return scopes


def test_clock_run_advance(*, clock_id: int) -> TestClock:
    """The advance job: every registered sweeper over every window, then ``ready`` (or
    ``internal_failure`` with the error kept). A redelivered task finds the clock ready and stops."""
    clock_ = TestClock.objects.select_related("merchant").get(pk=clock_id)
    if clock_.status != TestClock.Status.ADVANCING:
        return clock_
    done: dict[str, object] = {}
    try:
        for sweeper in clock.sweepers():
            for scope in test_clock_scopes(clock_):
                for moment in _moments(scope, sweeper.step):
                    result = sweeper.sweep(moment, scope)
                    if result:
                        done[sweeper.name] = _add(done.get(sweeper.name), result)
    except Exception as exc:
        logger.exception("test clock %s: advance failed", clock_.public_id)
        TestClock.objects.filter(pk=clock_.pk).update(
            status=TestClock.Status.INTERNAL_FAILURE,
            last_advance={"done": done, "error": f"{type(exc).__name__}: {exc}"[:500]},
            updated_at=timezone.now(),
        )
        clock_.refresh_from_db()
        with transaction.atomic():
            _event(clock_, "test_helpers.test_clock.internal_failure")
        return clock_
    with transaction.atomic():
        TestClock.objects.filter(pk=clock_.pk).update(
            status=TestClock.Status.READY, last_advance={"done": done}, updated_at=timezone.now()
        )
        clock_.refresh_from_db()
        _event(clock_, "test_helpers.test_clock.ready")
    return clock_


MAX_STEPS = 2000


def _moments(scope: clock.ClockScope, step: dt.timedelta | None) -> list[dt.datetime]:
    """The times a sweeper runs at along one window's advance: every ``step`` after the clock's
    previous time, and its new time last."""
    moments = []
    if step is not None:
        moment = scope.previous + step
        while moment < scope.now and len(moments) < MAX_STEPS:
            moments.append(moment)
            moment += step
    return [*moments, scope.now]


def _add(total, result):
    if isinstance(result, int) and not isinstance(result, bool):
        return (total or 0) + result
    return result


def active_clock_windows() -> list[tuple[int, bool, dt.datetime]]:
    """The source apps.core.clock asks: which merchants' objects, since when, run on a clock."""
    return [
        (merchant_id, livemode, dt.datetime.fromisoformat(windows[0]["from"]))
        for merchant_id, livemode, windows in TestClock.objects.filter(deleted_at__isnull=True).values_list(
            "merchant_id", "livemode", "windows"
        )
    ]


def test_clocks_expire(*, now: dt.datetime | None = None) -> int:
    """Beat: a clock past its ``deletes_after`` (30 days, as Stripe) is deleted, its objects back
    on the wall clock."""
    now = now or timezone.now()
    due = list(TestClock.objects.filter(deleted_at__isnull=True, deletes_after__lte=now))
    for clock_ in due:
        test_clock_delete(clock_=clock_, actor=Actor.system("test_clock_expiry"))
    return len(due)
