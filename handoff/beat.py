"""Celery beat that sends each periodic task once per period, however many beats run.

One beat is the deployment to aim for (docs/deployment.md), but a second one
(a worker started with `-B` by mistake, two machines started from one image)
must not double the periodic work. Before sending, each beat claims the entry's
current slot in the shared cache (core.locks.claim_slot): slots are aligned on
the clock, so every beat agrees on them, and the first beat to reach a slot
sends the task while the others skip it. A beat never fires twice within one
period (its next run is due a whole period after the last one was sent), so a
lone beat never skips its own runs.

The guard needs the default cache to be shared, which it is whenever CACHE_URL
or a Redis broker is set; with per-process memory it only guards one process.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery.beat import PersistentScheduler, ScheduleEntry

from core.locks import claim_slot

logger = logging.getLogger(__name__)

# Crontab and solar schedules fire at most once a minute.
CALENDAR_SLOT_SECONDS = 60.0


def slot_seconds(entry: ScheduleEntry) -> float:
    """The length of the entry's slots: its interval, or a minute for calendar schedules."""
    run_every = getattr(entry.schedule, "run_every", None)
    if isinstance(run_every, timedelta) and run_every.total_seconds() > 0:
        return run_every.total_seconds()
    return CALENDAR_SLOT_SECONDS


class OncePerSlotScheduler(PersistentScheduler):
    """PersistentScheduler (the default, with its schedule file) that claims a slot before sending."""

    def apply_entry(self, entry: ScheduleEntry, producer=None):
        try:
            claimed = claim_slot(f"beat:{entry.name}", period=slot_seconds(entry))
        except Exception:  # noqa: BLE001 - any cache failure: the periodic tasks are safe to repeat
            # Better twice than never: every periodic task is safe to run again, while
            # skipping would stop polling and relaying for as long as the cache is down.
            logger.warning("Scheduler: the cache is unreachable; sending %s unguarded", entry.name, exc_info=True)
            claimed = True
        if not claimed:
            logger.info("Scheduler: Skipping %s (%s): another beat sent it for this period", entry.name, entry.task)
            return None
        return super().apply_entry(entry, producer=producer)
