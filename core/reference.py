"""Small lists that pages read on every view and people rarely change, kept in each process.

The products a filter offers, the people a ticket may be assigned to, a user's saved
views: a ticket list reads all three on every view, each a query and its ORM work
(together about a fifth of the page's CPU), while they change a few times a day.
Every page also reads the signed-in user with its roles (core.auth).

Each process keeps what it read under the data's *generation*: a random token in the
shared cache (Redis whenever it is configured), read once per request. A change to a
model registered with `watch` draws a new token, at once and again when its
transaction commits, so every process on every node reads the lists afresh on its
next request. A change that sends no signal (a queryset update, SQL by hand) shows
within KEEP_SECONDS.

Only a shared cache can carry the token from the process that changed the data to the
others: without one (no Redis, CACHE_URL unset) every call reads afresh, as sessions
then stay in the database.
"""

import time
import uuid
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_started
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

GENERATION_KEY = "reference-generation"
# The longest a list is kept, whatever the generation says.
KEEP_SECONDS = 300.0
# Outside requests (a worker's task, a shell), the generation is read again after this long.
GENERATION_SECONDS = 1.0
KEPT_MOST = 5000

# key -> (generation, read at, value); and this request's generation with when it was read.
_kept: dict[Hashable, tuple[str, float, object]] = {}
_generation: list = [None, 0.0]


def kept(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), kept in this process under `key` until the watched data changes.

    The value is shared by every later caller: return tuples or lists nobody changes.
    """
    if not settings.CACHE_URL:
        return compute()
    generation, now = current_generation(), time.monotonic()
    entry = _kept.get(key)
    if entry is not None and entry[0] == generation and now - entry[1] < KEEP_SECONDS:
        return entry[2]
    value = compute()
    if len(_kept) >= KEPT_MOST:
        _kept.clear()
    _kept[key] = (generation, now, value)
    return value


def current_generation() -> str:
    """The shared generation token: read from the cache once per request (and each
    GENERATION_SECONDS outside requests); drawn when the cache has none."""
    token, read_at = _generation
    now = time.monotonic()
    if token is not None and now - read_at < GENERATION_SECONDS:
        return token
    token = cache.get(GENERATION_KEY)
    if token is None:
        # Two processes may draw at once: add() keeps the first, and both read it.
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY) or uuid.uuid4().hex
    _generation[:] = [token, now]
    return token


def changed() -> None:
    """The watched data changed: a new generation now, and, inside a transaction, another once
    it commits (a process that read between the two read the data before the commit)."""
    _new_generation()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_new_generation)


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    forget()


def forget() -> None:
    """Drop what this process keeps, and read the generation again."""
    _generation[:] = [None, 0.0]
    _kept.clear()


def watch(*models, ignore_fields: frozenset[str] = frozenset()) -> None:
    """Draw a new generation whenever a row of these models is saved or deleted, or (for
    a many-to-many table) a row is added or removed. A save that writes only
    `ignore_fields` (a user's last sign-in) is not a change of the lists."""
    for model in models:
        uid = f"core.reference:{model._meta.label}"
        if model._meta.auto_created:
            m2m_changed.connect(_on_m2m_change, sender=model, dispatch_uid=uid)
            continue
        post_save.connect(_saved(ignore_fields), sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete")


def _saved(ignore_fields: frozenset[str]):
    def on_save(sender, update_fields=None, **kwargs) -> None:
        if update_fields and ignore_fields and set(update_fields) <= ignore_fields:
            return
        changed()

    return on_save


def _on_change(sender, **kwargs) -> None:
    changed()


def _on_m2m_change(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        changed()


def read_generation_per_request() -> None:
    """Each request reads the generation again: what another process changed shows at once."""
    request_started.connect(_request_started, dispatch_uid="core.reference.request_started")


def _request_started(sender, **kwargs) -> None:
    _generation[:] = [None, 0.0]
