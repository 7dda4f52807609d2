"""Counting requests for links and sign-ins in fixed windows, in the default cache.

Per address and per client address: whoever asks, the answer is the same, so a
limit reached says nothing about whether an address belongs to a contact. With
the default local-memory cache the count is per process (the embedded default);
a shared cache (Redis) counts across every process.
"""

import hashlib
import time

from django.core.cache import cache


def _key(scope: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"portal:limit:{scope}:{digest}:{int(time.time() // window)}"


def allow(scope: str, value: str, *, limit: int, window: int) -> bool:
    """Count one attempt of `value` (an address, a client's IP) in `scope`; False once past `limit`
    attempts in the current `window` seconds."""
    key = _key(scope, value, window)
    if cache.add(key, 1, timeout=window + 1):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        count = 1
    return count <= limit


def exceeded(scope: str, value: str, *, limit: int, window: int) -> bool:
    """Whether `value` already used its `limit` attempts in this window (nothing counted)."""
    return (cache.get(_key(scope, value, window)) or 0) >= limit


def forget(scope: str, value: str, *, window: int) -> None:
    cache.delete(_key(scope, value, window))
