"""Rate limits of a tracker account: wait when the tracker says so, and cap calls in flight.

A gate is keyed by the tracker URL and a hash of the token, because that is
what trackers count requests against (GitHub and Jira limit per account, not
per project): two connections sharing a token share one budget.

State lives in the "sync" cache (HANDOFF_SYNC_CACHE_URL):
- "blocked until": set from Retry-After, or from X-RateLimit-Remaining: 0 with
  X-RateLimit-Reset (GitLab: RateLimit-Remaining and RateLimit-Reset). Until
  then every call fails at once with a ConnectorError carrying retry_after, so
  the outbox backs the row off without touching the tracker (other defects'
  rows wait too, instead of each earning its own 429).
- in-flight slots: `HANDOFF_SYNC_MAX_IN_FLIGHT` keys taken with cache.add (an
  atomic "set if absent") and a lease, so a worker killed mid-call frees its
  slot when the lease runs out. With the default local-memory cache the cap is
  per process, which is the whole portal in the embedded default; with
  HANDOFF_SYNC_CACHE_URL set to Redis it holds across every worker. A call that finds no free slot
  waits briefly, then gives up with a retryable error rather than queue up.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.core.cache import caches

from sync.connectors.base import ConnectorError

SLOT_WAIT_SECONDS = 2.0


def _cache():
    return caches["sync"]
SLOT_POLL_SECONDS = 0.02


def max_in_flight() -> int:
    return int(getattr(settings, "HANDOFF_SYNC_MAX_IN_FLIGHT", 4))


def _lease_seconds() -> int:
    # Longer than any single call may take, so a live call never loses its slot.
    return int(getattr(settings, "HANDOFF_SYNC_HTTP_TIMEOUT", 10)) * 3 + 5


def parse_retry_after(raw: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not raw:
        return None
    now = time.time() if now is None else now
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - now)
    except (TypeError, ValueError):
        return None


def parse_reset(raw: str | None, *, now: float | None = None) -> float | None:
    """Seconds until X-RateLimit-Reset: GitHub and GitLab send epoch seconds, Jira an ISO 8601 time."""
    if not raw:
        return None
    now = time.time() if now is None else now
    try:
        return max(0.0, float(raw) - now)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def wait_from_headers(headers: Mapping[str, str]) -> float | None:
    """How long the tracker asks us to wait, or None when it asks nothing.

    Retry-After wins; otherwise an exhausted budget (Remaining 0) waits for its
    reset. Header names are matched without regard to case.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = parse_retry_after(lower.get("retry-after"))
    if retry_after is not None:
        return retry_after
    for prefix in ("x-ratelimit-", "ratelimit-"):  # GitHub and Jira; GitLab (its reset in epoch seconds)
        if str(lower.get(prefix + "remaining", "")).strip() == "0":
            reset = parse_reset(lower.get(prefix + "reset"))
            return 60.0 if reset is None else reset
    return None


class RateGate:
    """The rate-limit state of one tracker account (see the module docstring)."""

    def __init__(self, *, base_url: str, token: str, tracker: str):
        digest = hashlib.sha256(f"{base_url}\n{token}".encode()).hexdigest()[:24]
        self.prefix = f"handoff:sync:gate:{digest}"
        self.tracker = tracker

    def blocked_for(self) -> float:
        until = _cache().get(f"{self.prefix}:until")
        return max(0.0, until - time.time()) if until else 0.0

    def block(self, seconds: float) -> None:
        """Refuse calls for `seconds` (never shortens an existing block)."""
        until = time.time() + seconds
        key = f"{self.prefix}:until"
        current = _cache().get(key) or 0
        if until > current:
            _cache().set(key, until, timeout=int(seconds) + 2)

    def note_headers(self, headers: Mapping[str, str]) -> float | None:
        """Remember a wait the tracker asked for in any response; returns it."""
        wait = wait_from_headers(headers)
        if wait:
            self.block(wait)
        return wait

    def check(self) -> None:
        wait = self.blocked_for()
        if wait > 0:
            raise ConnectorError(
                f"{self.tracker} rate limit: waiting {wait:.0f}s before the next call.", retry_after=wait
            )

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the account's in-flight slots for the duration of a call."""
        self.check()
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + SLOT_WAIT_SECONDS
        taken = None
        while taken is None:
            for index in range(max_in_flight()):
                key = f"{self.prefix}:slot:{index}"
                if _cache().add(key, owner, timeout=_lease_seconds()):
                    taken = key
                    break
            if taken is None:
                if time.monotonic() > deadline:
                    raise ConnectorError(
                        f"{self.tracker}: {max_in_flight()} calls already in flight for this account.",
                        retry_after=1.0,
                    )
                time.sleep(SLOT_POLL_SECONDS)
        try:
            yield
        finally:
            if _cache().get(taken) == owner:
                _cache().delete(taken)
