"""Sandbox test clocks: the registry between the apps that own deadline jobs and the clock.

A test clock (`/v1/test_helpers/test_clocks`, apps.devtools) stands for one merchant's test-mode
time. Each app that owns a deadline job (authorization expiry, dispute deadlines, settlement,
payout arrival, webhook retries) registers here, in its `AppConfig.ready()`, a
``sweep(now, scope)`` that runs the same code as its beat task restricted to ``scope`` and with
``now`` as the time; the clock's advance job calls them in ``order``. Core never imports the
owners nor the clock: apps.devtools registers the source of the active clocks, which the owners'
beat tasks use to leave the objects that run on a clock alone (``clock_filter``).

Objects under a clock keep their wall-clock timestamps; a clock's advance tells each sweeper the
wall-clock equivalent of the clock's time (``ClockScope.now``), one window of creation times at a
time (an advance starts a new window), so an object created after an advance is not aged by the
advances before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class ClockScope:
    """The objects of one clock created in one window of wall-clock time, and the clock's time
    for them: ``previous`` before this advance and ``now`` after it (both wall-clock equivalents)."""

    clock: str  # the clock's public id
    merchant_id: int
    livemode: bool
    created_from: dt.datetime
    created_to: dt.datetime
    previous: dt.datetime
    now: dt.datetime

    def q(self, prefix: str = "") -> Q:
        return Q(
            **{
                f"{prefix}merchant_id": self.merchant_id,
                f"{prefix}livemode": self.livemode,
                f"{prefix}created_at__gte": self.created_from,
                f"{prefix}created_at__lt": self.created_to,
            }
        )

    def filter(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        return qs.filter(self.q(prefix))


@dataclass(frozen=True)
class Sweeper:
    name: str
    order: int
    sweep: Callable[[dt.datetime, ClockScope], object]
    # Run at least this often along an advance (a job whose steps each happen once, such as a
    # reminder at T-24 h before the loss at T, sees each of them); None: once, at the end.
    step: dt.timedelta | None = None


_SWEEPERS: dict[str, Sweeper] = {}
# () -> [(merchant_id, livemode, since)]: the objects created since `since` run on a clock.
_SOURCE: list[Callable[[], list[tuple[int, bool, dt.datetime]]]] = []


def register_sweeper(
    name: str,
    sweep: Callable[[dt.datetime, ClockScope], object],
    *,
    order: int,
    step: dt.timedelta | None = None,
) -> None:
    _SWEEPERS[name] = Sweeper(name=name, order=order, sweep=sweep, step=step)


def sweepers() -> list[Sweeper]:
    return sorted(_SWEEPERS.values(), key=lambda s: (s.order, s.name))


def register_clock_source(source: Callable[[], list[tuple[int, bool, dt.datetime]]]) -> None:
    _SOURCE[:] = [source]


def clocked_q(prefix: str = "") -> Q | None:
    """Matches the objects that run on an active clock, or None when there is none."""
    if not _SOURCE:
        return None
    windows = _SOURCE[0]()
    if not windows:
        return None
    q = Q()
    for merchant_id, livemode, since in windows:
        q |= Q(
            **{
                f"{prefix}merchant_id": merchant_id,
                f"{prefix}livemode": livemode,
                f"{prefix}created_at__gte": since,
            }
        )
    return q


def clock_filter(qs: QuerySet, prefix: str = "", scope: ClockScope | None = None) -> QuerySet:
    """A beat task's queryset: with a scope, only that clock window's objects; without, every
    object except those that run on a clock (they move when their clock is advanced)."""
    if scope is not None:
        return scope.filter(qs, prefix)
    q = clocked_q(prefix)
    return qs if q is None else qs.exclude(q)
