"""One submission per form: a token written into the form when it is shown, claimed once when posted.

A double click, a resubmitted page or an impatient second press sends the same
token again: the first post claims it (an atomic `cache.add`) and records what
it made; a repeat finds the claim and is answered with that instead of making
it twice. A post whose input is refused releases its token, so the corrected
form can be sent again.

The claim lives in the default cache, which every web process shares when there
is a Redis (CACHE_URL, or the broker's); without one, each process keeps its own.
"""

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import models

T = TypeVar("T", bound=models.Model)

# Long enough for a repeat to arrive, short enough that the cache forgets on its own.
TOKEN_SECONDS = 24 * 3600
PENDING = "pending"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def form_token_new() -> str:
    """A fresh token for one form as it is shown."""
    return secrets.token_urlsafe(24)


def _key(token: str) -> str:
    return f"form-token:{token}"


def form_token_once(token: str, make: Callable[[], T]) -> tuple[T | None, str]:
    """Run `make` for the first submission of `token` only.

    Returns (what `make` made, "") the first time, and (None, the pk of what the first
    submission made, or "" while it is still running) for a repeat. An exception from
    `make` (a ValidationError for refused input) releases the token and propagates.
    A missing or malformed token is no token: `make` runs.
    """
    if not token or not _TOKEN.fullmatch(token):
        return make(), ""
    key = _key(token)
    if not cache.add(key, PENDING, TOKEN_SECONDS):
        earlier = cache.get(key)
        return None, "" if earlier in (None, PENDING) else str(earlier)
    try:
        made = make()
    except BaseException:
        # Nothing was made (refused input, or the service's transaction rolled back): the same
        # form may be sent again.
        cache.delete(key)
        raise
    cache.set(key, made.pk, TOKEN_SECONDS)
    return made, ""
