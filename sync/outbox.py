"""Writing changes to the outbox, in the transaction of the change itself.

Portal services call `outbox_enqueue` once per change that a tracker must see.
The row is written in the caller's transaction, so the change and its outbox
row commit together or not at all; a push is queued only after the commit.

Enhancement requests go through `outbox_enqueue_request`, called by the
requests app's own services (it sits above this one): the same rules, with
the product team's connection in place of the engineering team's.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from core.models import Channel
from core.tasks import queue
from defects.models import Comment, Defect
from sync.models import Connection, ExternalIssue, OutboxItem, SyncLedger

# Defect fields written into the tracker's description as its sections (see translate.defect_description).
REPORT_SECTIONS = ("steps_to_reproduce", "expected_result", "actual_result", "environment")

log = logging.getLogger(__name__)

Kind = OutboxItem.Kind


# The kinds of change an enhancement request's twin hears of.
REQUEST_KINDS = (Kind.CREATE, Kind.FIELDS, Kind.STATUS, Kind.COMMENT)


def _target_connections(subject: dict[str, Any]) -> list[Connection]:
    """The team's connection, and any connection the defect (or request) already has a twin in.

    `subject` is {"defect": defect} or {"request": request}; both name their team the same way.
    """
    (obj,) = subject.values()
    ids: set[int] = set(ExternalIssue.objects.filter(**subject).values_list("connection_id", flat=True))
    team = obj.team
    team_connection = getattr(team, "connection_id", None) if team is not None else None
    if team_connection:
        ids.add(team_connection)
    if not ids:
        return []
    return list(Connection.objects.filter(pk__in=ids, enabled=True))


def _enqueue(
    *, subject: dict[str, Any], connections: list[Connection], kind: str, payload: dict[str, Any] | None,
    channel: str,
) -> list[OutboxItem]:
    """The rows of one change for each connection: see outbox_enqueue."""
    rows: list[OutboxItem] = []
    for connection in connections:
        if channel and channel == Channel.tracker(connection.name):
            continue
        has_twin = ExternalIssue.objects.filter(**subject, connection=connection).exists()
        create_queued = OutboxItem.objects.filter(
            **subject, connection=connection, kind=Kind.CREATE
        ).exclude(status=OutboxItem.Status.FAILED).exists()
        if not has_twin and not create_queued and kind != Kind.CREATE:
            rows.append(OutboxItem.objects.create(**subject, connection=connection, kind=Kind.CREATE))
            if kind in (Kind.FIELDS, Kind.SEVERITY, Kind.STATUS, Kind.RELEASE):
                continue  # the create carries the current fields
        if kind == Kind.CREATE and (has_twin or create_queued):
            continue
        rows.append(OutboxItem.objects.create(**subject, connection=connection, kind=kind, payload=payload or {}))
    if rows:
        for connection_id in {row.connection_id for row in rows}:
            transaction.on_commit(lambda cid=connection_id: dispatch_drain(cid))
    return rows


def outbox_enqueue(
    *, defect: Defect, kind: str, payload: dict[str, Any] | None = None, channel: str = ""
) -> list[OutboxItem]:
    """Record that `defect` changed in a way its trackers must see.

    Does nothing when the defect's team has no enabled connection and the
    defect has no twin. A change that came from a tracker (`channel` is
    Channel.tracker(name)) is not sent back to that same tracker. When the
    defect has no twin there yet (and nothing queued creates one), a create row
    comes first: a defect routed to a connected team starts syncing that way.
    A paused connection still gets rows, so nothing is lost while it is paused.
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown outbox kind {kind!r}")
    subject = {"defect": defect}
    return _enqueue(
        subject=subject, connections=_target_connections(subject), kind=kind, payload=payload, channel=channel
    )


def outbox_enqueue_request(
    *, request, kind: str, payload: dict[str, Any] | None = None, channel: str = "",
    connection: Connection | None = None,
) -> list[OutboxItem]:
    """Record that enhancement request `request` changed in a way its trackers must see.

    As outbox_enqueue does for a defect: the rows go to the request's product
    team's connection and to every connection it already has a twin in (or,
    with `connection`, to that one only: sending a request there by hand), a
    create first where there is no twin yet, and never back to the tracker the
    change came from. `kind` is one of REQUEST_KINDS.
    """
    if kind not in REQUEST_KINDS:
        raise ValueError(f"An enhancement request does not sync {kind!r} changes.")
    subject = {"request": request}
    connections = [connection] if connection is not None else _target_connections(subject)
    return _enqueue(subject=subject, connections=connections, kind=kind, payload=payload, channel=channel)


def outbox_enqueue_update(*, defect: Defect, changed: set[str], channel: str = "") -> list[OutboxItem]:
    """outbox_enqueue for the fields defect_update changed, one row per kind of change."""
    rows: list[OutboxItem] = []
    texts = {name: getattr(defect, name) for name in ("title", "description") if name in changed}
    if changed & set(REPORT_SECTIONS) and "description" not in texts:
        # The sections travel inside the tracker's description.
        texts["description"] = defect.description
    if texts:
        rows += outbox_enqueue(defect=defect, kind=Kind.FIELDS, payload=texts, channel=channel)
    if "severity" in changed:
        rows += outbox_enqueue(
            defect=defect, kind=Kind.SEVERITY, payload={"severity": defect.severity}, channel=channel
        )
    if changed & {"planned_release", "fixed_in_release"}:
        payload = {
            "planned_release": defect.planned_release.version if defect.planned_release else None,
            "fixed_in_release": defect.fixed_in_release.version if defect.fixed_in_release else None,
        }
        rows += outbox_enqueue(defect=defect, kind=Kind.RELEASE, payload=payload, channel=channel)
    if "team" in changed:
        # Routed to a team with a connection: the defect starts syncing there.
        rows += outbox_enqueue(defect=defect, kind=Kind.CREATE, channel=channel)
    return rows


def outbox_on_defect_changed(*, defect: Defect, changed: frozenset[str], channel: str) -> None:
    """Receiver of defects.hooks.defect_changed: the rows a tracker must see, in the change's transaction."""
    if "status" in changed:
        outbox_enqueue(defect=defect, kind=Kind.STATUS, payload={"status": defect.status}, channel=channel)
    outbox_enqueue_update(defect=defect, changed=set(changed), channel=channel)


def outbox_on_defect_commented(*, defect: Defect, comment: Comment, actor, channel: str) -> None:
    """Receiver of defects.hooks.defect_commented: a shared comment goes to the defect's trackers."""
    outbox_enqueue(
        defect=defect, kind=Kind.COMMENT, channel=channel,
        payload={"comment_id": comment.pk, "body": comment.body, "author": author_name(actor)},
    )


def outbox_on_comment_changed(*, defect: Defect, comment: Comment, actor, channel: str, deleted: bool) -> None:
    """Receiver of defects.hooks.defect_comment_changed: the tracker twins of the comment follow.

    Only connections the comment was pushed to (or is about to be) hold a twin
    to change; a comment that came from a tracker is not changed there.
    """
    kind = Kind.COMMENT_DELETE if deleted else Kind.COMMENT_EDIT
    payload = {"comment_id": comment.pk}
    if not deleted:
        author = comment.author if comment.author_id else actor
        payload.update(body=comment.body, author=author_name(author))
    pushed = set(SyncLedger.objects.filter(
        direction=SyncLedger.Direction.OUTBOUND, thread=SyncLedger.Thread.DEFECT, comment_id=comment.pk
    ).values_list("connection_id", flat=True))
    # A push still waiting reaches the tracker first (rows of a defect go in order), then this change.
    pushed |= set(OutboxItem.objects.filter(
        defect=defect, kind=Kind.COMMENT, payload__comment_id=comment.pk,
        status__in=(OutboxItem.Status.PENDING, OutboxItem.Status.CLAIMED),
    ).values_list("connection_id", flat=True))
    for connection_id in sorted(pushed):
        connection = Connection.objects.filter(pk=connection_id, enabled=True).first()
        if connection is None or (channel and channel == Channel.tracker(connection.name)):
            continue
        OutboxItem.objects.create(defect=defect, connection=connection, kind=kind, payload=payload)
        transaction.on_commit(lambda cid=connection.pk: dispatch_drain(cid))


def author_name(user) -> str:
    """How a portal author is named in a tracker comment."""
    if not getattr(user, "is_authenticated", False):
        return "Handoff"
    return user.get_full_name() or user.get_username()


def dispatch_drain(connection_id: int) -> None:
    """Queue a push run. Never raises: the periodic relay picks up anything missed."""
    try:
        queue("sync.drain", connection_id)
    except Exception:  # broker down: the rows wait in the outbox for the relay
        log.warning("could not queue a sync push for connection %s; the relay will", connection_id, exc_info=True)
