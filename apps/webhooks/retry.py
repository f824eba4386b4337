"""The documented retry schedule.

A delivery is tried at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h and then daily,
each delay with ±10 % jitter (so endpoints that failed together do not all come back together),
until 3 days after the schedule started; the last attempt happens at that 3-day mark and if it
fails too the delivery is marked failed (re-drivable with retry_failed).
"""

import random
from datetime import datetime, timedelta

RETRY_DELAYS_SECONDS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
DAILY = 24 * 3600
JITTER = 0.10
GIVE_UP_AFTER = timedelta(days=3)


def base_delay(attempts_made: int) -> int:
    """Delay before the next attempt after `attempts_made` attempts in this schedule (≥ 1)."""
    index = attempts_made - 1
    return RETRY_DELAYS_SECONDS[index] if index < len(RETRY_DELAYS_SECONDS) else DAILY


def next_attempt_at(*, attempts_made: int, now: datetime, schedule_started_at: datetime) -> datetime | None:
    """When to try again, or None to give up."""
    deadline = schedule_started_at + GIVE_UP_AFTER
    if now >= deadline:
        return None
    delay = base_delay(attempts_made) * random.uniform(1 - JITTER, 1 + JITTER)
    return min(now + timedelta(seconds=delay), deadline)
