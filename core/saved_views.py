"""Saved views of the work lists: what a user keeps, what managers share, and the query each one opens.

A view is the list's query string (its filters and sort), normalised here so that
the list page can tell which view it is showing and a view never carries a page
number. The list pages read what a view means; this module only keeps the names.
"""

import re
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from core import roles
from core.audit import audit_changes, audit_record
from core.models import SavedView
from core.reference import kept

# The page each list is at.
LIST_URLS = {
    SavedView.List.TICKETS: "tickets:list",
    SavedView.List.DEFECTS: "defects:list",
    SavedView.List.QUEUE: "defects:queue",
}
MAX_NAME = SavedView._meta.get_field("name").max_length
MAX_QUERY = SavedView._meta.get_field("query").max_length
MAX_PARAMS = 20
MAX_VALUE = 200
# A user's own views of one list; shared ones have their own, equal, bound.
MAX_PER_LIST = 50
# What a view never keeps: where in the list the user was.
NOT_KEPT = {"page"}
_KEY = re.compile(r"[a-z][a-z0-9_]{0,29}")


def normalize_query(query: str | Mapping | None) -> str:
    """A list's query string as a view keeps it: filter keys in order, no page number, no empty values.

    Empty values are dropped (an unset filter), unless nothing else is left: on the
    queue, `?team=&status=` (every team, every status) differs from no query at all
    (its default, my teams' open defects).
    """
    if query is None:
        query = ""
    data = QueryDict(query) if isinstance(query, str) else query
    kept, empty = [], []
    for key in sorted(data.keys()):
        if key in NOT_KEPT or not _KEY.fullmatch(key):
            continue
        values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
        for value in values:
            value = str(value).strip()
            if len(value) > MAX_VALUE:
                continue
            (kept if value else empty).append((key, value))
    params = QueryDict(mutable=True)
    for key, value in (kept or empty)[:MAX_PARAMS]:
        params.appendlist(key, value)
    return params.urlencode()


def saved_view_url(*, list_name: str, query: str) -> str:
    """The path that opens the list with the view's filters and sort."""
    path = reverse(LIST_URLS[list_name])
    return f"{path}?{query}" if query else path


def saved_view_list(*, user, list_name: str) -> list[SavedView]:
    """The shared views of a list, then the user's own, each by name: one query.

    Kept in the process until a saved view changes (core.reference, watched in core/apps.py).
    """
    return list(kept(("saved-views", list_name, user.pk), lambda: tuple(
        SavedView.objects.filter(list=list_name)
        .filter(Q(shared=True) | Q(owner=user, shared=False))
        .only("owner_id", "list", "name", "query", "shared")
    )))


def saved_view_may_delete(view: SavedView, user) -> bool:
    """Its owner deletes a personal view; any manager a shared one."""
    if view.shared:
        return roles.is_manager(user)
    return view.owner_id == getattr(user, "pk", None)


@transaction.atomic
def saved_view_save(
    *, owner, list_name: str, name: str, query: str | Mapping, channel: str, shared: bool = False
) -> tuple[SavedView, bool]:
    """Keep the list's current filters and sort under `name`; (view, created).

    A personal view of the same name (a shared one, when `shared`) is saved over.
    Only managers share. Raises ValidationError keyed by field otherwise.
    """
    errors = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "Give the view a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"At most {MAX_NAME} characters."
    if list_name not in SavedView.List.values:
        labels = ", ".join(str(label) for label in SavedView.List.labels)
        errors["list"] = f"Choose one of the lists: {labels}."
    if shared and not roles.is_manager(owner):
        errors["shared"] = "Only managers share views with everyone."
    query = normalize_query(query)
    if len(query) > MAX_QUERY:
        errors["query"] = "These filters are too long to keep; remove some."
    if errors:
        raise ValidationError(errors)
    same = SavedView.objects.select_for_update().filter(list=list_name, name=name, shared=shared)
    existing = (same if shared else same.filter(owner=owner)).first()
    if existing is not None:
        old = existing.query
        existing.query, existing.updated_at = query, timezone.now()
        existing.save(update_fields=["query", "updated_at"])
        audit_changes(obj=existing, actor=owner, channel=channel, changes={"query": (old, query)})
        return existing, False
    mine = SavedView.objects.filter(list=list_name, shared=shared)
    if (mine if shared else mine.filter(owner=owner)).count() >= MAX_PER_LIST:
        raise ValidationError({"name": f"A list keeps at most {MAX_PER_LIST} views; delete one first."})
    view = SavedView.objects.create(owner=owner, list=list_name, name=name, query=query, shared=shared)
    audit_record(obj=view, actor=owner, channel=channel, action="created", new=query)
    return view, True


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor, channel: str) -> None:
    """Delete a view, audited. PermissionDenied unless saved_view_may_delete."""
    if not saved_view_may_delete(view, actor):
        raise PermissionDenied("Only its owner deletes a view; a manager, a shared one.")
    audit_record(obj=view, actor=actor, channel=channel, action="deleted", old=view.query)
    view.delete()
