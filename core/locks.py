"""Claims that every process of the portal sees, kept in the default cache.

With CACHE_URL (or a Redis broker) the default cache is Redis, shared by every
web and worker process on every machine; `cache.add` is Redis' SET NX, so of
two processes that claim the same key at once exactly one wins. Without Redis
the cache is this process's memory, which is enough for the embedded
single-process default and for nothing more.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache


def slot_of(period: float, *, now: float | None = None) -> int:
    """The number of the `period`-second slot that `now` falls in, counted from the epoch."""
    if period <= 0:
        raise ValueError("A slot's period must be positive.")
    return int((time.time() if now is None else now) // period)


def claim_slot(name: str, *, period: float, now: float | None = None) -> bool:
    """Claim `name` for the current `period`-second slot: True for the first claim, False after.

    Slots are aligned on the epoch, not on when a process started, so two
    processes that do the same work every `period` seconds agree on which slot
    a run belongs to and only one of them wins it. The claim outlives its slot
    by a second and then expires; nothing needs releasing.
    """
    now = time.time() if now is None else now
    slot = slot_of(period, now=now)
    ends_in = (slot + 1) * period - now
    return cache.add(f"slot:{name}:{slot}", 1, timeout=max(1, math.ceil(ends_in) + 1))
