"""Pulling tracker changes (a poll, or a webhook delivery) into the portal.

For each issue the tracker reports: a field whose tracker value equals the
last synced value has not changed there (or is our own push coming back: no
echo); a different value is a tracker change, applied through the portal's
services unless a portal change to the same field is still waiting in the
outbox, which makes it a conflict settled by the per-field rule. A description
(trackers that report one) is read back into the defect's summary and sections.
Comments that carry this installation's marker are ours; a comment already in
the ledger was applied before, and is edited in place when its body changed
there, or marked deleted when the tracker reports it deleted.
Only issues already linked to a defect in that connection are applied, and an
issue no newer than what its link last applied changes no field.

An issue linked to an enhancement request brings back its status (through
the request's own transitions) and its new comments; the request's text is
product management's and is not taken from the tracker, and a tracker
comment edited or deleted later stays as it was first said in the request's
thread (a request comment is not edited in place).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.redact import redact
from sync.config import ConnectionConfig, connection_config
from sync.connectors import connector_for
from sync.connectors.base import ConnectorError, TrackerIssue, TwinRef, has_marker
from sync.models import Connection, ExternalIssue, OutboxItem, SyncLedger
from sync.services.apply import (
    NotApplied,
    apply_comment,
    apply_comment_change,
    apply_request_comment,
    apply_to_twin,
)
from sync.services.conflicts import RULES, Winner, record_conflict, supersede
from sync.services.health import connection_failed, connection_pause, connection_succeeded
from sync.services.provenance import POLL, Via, ledger_record_pulled
from sync.services.translate import KIND_OF_FIELD, defect_description, normalize_text

log = logging.getLogger(__name__)

# The version before the status: an issue closed with its fix version moves the defect to
# fixed, which needs the release it is fixed in (defects.services.transitions).
FIELDS = ("version", "status", "priority", "title", "description")
# What an enhancement request's twin brings back.
REQUEST_FIELDS = ("status",)
KIND_OF_FIELD = {**KIND_OF_FIELD, "title": OutboxItem.Kind.FIELDS, "description": OutboxItem.Kind.FIELDS}
# Twins a poll reads again where the tracker edits comments silently (notes_sweep).
NOTES_SWEEP = 10


def _twin_for(connection: Connection, issue: TrackerIssue) -> ExternalIssue | None:
    """The existing link of this tracker issue in `connection`, or None.

    Never made here: anyone who may open an issue in the tracker (on a public
    repository, anyone) can write "Handoff defect: DEF-3" in it, so a key named
    by inbound traffic proves nothing. Links come only from our own create (its
    bookkeeping, or a repeated create finding the issue by our signed marker)
    and from an engineer linking an issue by hand.
    """
    return ExternalIssue.objects.filter(connection=connection, external_id=issue.twin.external_id).first()


def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_newer(value: str, held: str, *, or_equal: bool = False) -> bool:
    """Whether the tracker time `value` comes after `held` (the newest state a link applied).

    Compared as instants when both read as ISO 8601 (trackers differ in offsets
    and precision), else as strings, which is how one tracker's own stamps sort.
    Nothing held yet: newer. No time on the event: not newer, since nothing
    shows it is not an old event sent again.
    """
    if not held:
        return True
    if not value:
        return False
    a, b = _moment(value), _moment(held)
    if a is None or b is None:
        a, b = value, held  # type: ignore[assignment]
    return a >= b if or_equal else a > b


@transaction.atomic
def issue_apply(
    *, connection: Connection, config: ConnectionConfig, issue: TrackerIssue, fresh: bool = False,
    via: Via = POLL,
) -> bool:
    """Apply one tracker issue to its defect. False when it must wait (a push of it is in flight).

    Only an issue already linked in `connection` is applied (to its defect or
    enhancement request); any other is ignored. Its fields are applied only
    when the issue is newer than the state the link last applied, so an old
    event (delayed, or a captured delivery sent again) never turns a defect
    back. `fresh` is for an issue the portal has just read from the tracker
    itself (a poll, a link): it is the tracker's current state, and a stamp
    equal to the one held is taken too, since trackers with one-second stamps
    can change twice within a second.
    Comments are applied by their own ids through the ledger either way.
    """
    twin = _twin_for(connection, issue)
    if twin is None:
        return True  # not linked here: never adopted from inbound traffic
    # Only the twin row is locked: its defect and request columns are nullable (an outer join).
    twin = ExternalIssue.objects.select_for_update(of=("self",)).select_related("defect", "request").get(pk=twin.pk)
    kind = twin.subject_kind
    owner = twin.subject
    open_rows = OutboxItem.objects.filter(
        **{kind: owner}, connection=connection, status__in=["pending", "claimed"]
    )
    if open_rows.filter(status="claimed").exists():
        return False
    newer = is_newer(issue.updated_at, twin.tracker_updated_at, or_equal=fresh)
    synced = dict(twin.synced)
    fields = issue.fields_for(kind)
    for field in (FIELDS if kind == "defect" else REQUEST_FIELDS) if newer else ():
        if field not in fields:
            continue
        tracker_value = fields[field]
        if field == "description":
            tracker_value = normalize_text(tracker_value)
        if tracker_value == synced.get(field):
            continue
        waiting = open_rows.filter(kind=KIND_OF_FIELD[field])
        both_changed = waiting.exists()
        winner = RULES.get(field, Winner.PORTAL) if both_changed else Winner.TRACKER
        note = ""
        if winner == Winner.TRACKER:
            try:
                apply_to_twin(twin=twin, connection=connection, config=config, field=field,
                              tracker_value=tracker_value)
                supersede(waiting)
                ledger_record_pulled(twin=twin, field=field, value=tracker_value, via=via, updated_at=issue.updated_at)
            except NotApplied as exc:
                note = str(exc)
                winner = Winner.PORTAL
            owner.refresh_from_db()
        if both_changed or note:
            portal_value = _portal_value(owner, field) if kind == "defect" else owner.status
            record_conflict(twin=twin, field=field, portal_value=portal_value, tracker_value=tracker_value,
                            winner=winner, note=note)
        synced[field] = tracker_value
    for comment in issue.comments:
        _apply_tracker_comment(connection=connection, twin=twin, comment=comment)
    if newer:
        twin.synced = synced
        twin.tracker_updated_at = issue.updated_at[:40]
        twin.save(update_fields=["synced", "tracker_updated_at"])
    return True


def _body_hash(body: str) -> str:
    return hashlib.sha256(normalize_text(body).encode()).hexdigest()


def _apply_tracker_comment(*, connection: Connection, twin: ExternalIssue, comment) -> None:
    """One tracker comment into the portal thread: new ones once, edits in place, deletions marked
    (a request's thread takes new comments only)."""
    if has_marker(comment.body):
        return  # ours: pushed from this installation
    ledger = SyncLedger.objects.filter(
        connection=connection, direction=SyncLedger.Direction.INBOUND, external_id=comment.id
    ).first()
    if ledger is None:
        if comment.deleted:
            return  # deleted before we ever saw it
        thread = SyncLedger.Thread.REQUEST if twin.request_id else SyncLedger.Thread.DEFECT
        ledger, created = SyncLedger.objects.get_or_create(
            connection=connection, direction=SyncLedger.Direction.INBOUND, external_id=comment.id,
            defaults={"thread": thread},
        )
        if created:
            if twin.request_id:
                ledger.comment_id = apply_request_comment(
                    request=twin.request, connection=connection, body=comment.body, author=comment.author
                )
            else:
                ledger.comment_id = apply_comment(
                    defect=twin.defect, connection=connection, body=comment.body, author=comment.author
                ).pk
            ledger.body_sha256 = _body_hash(comment.body)
            ledger.save(update_fields=["comment_id", "body_sha256"])
        return
    if ledger.deleted_at is not None or ledger.comment_id is None or ledger.thread == SyncLedger.Thread.REQUEST:
        return
    if comment.deleted:
        apply_comment_change(connection=connection, comment_id=ledger.comment_id, deleted=True)
        ledger.deleted_at = timezone.now()
        ledger.save(update_fields=["deleted_at"])
        return
    digest = _body_hash(comment.body)
    if ledger.body_sha256 and ledger.body_sha256 != digest:
        apply_comment_change(connection=connection, comment_id=ledger.comment_id, body=comment.body,
                             author=comment.author)
    if ledger.body_sha256 != digest:
        # A ledger row from before bodies were kept learns the body without applying it.
        ledger.body_sha256 = digest
        ledger.save(update_fields=["body_sha256"])


def _portal_value(defect, field: str) -> str:
    if field == "status":
        return defect.status
    if field == "priority":
        return defect.severity
    if field == "version":
        release = defect.fixed_in_release or defect.planned_release
        return release.version if release else ""
    if field == "description":
        return defect_description(defect)
    return defect.title


def issues_apply(*, connection: Connection, issues, fresh: bool = False, via: Via = POLL) -> list[TrackerIssue]:
    """Apply each issue in its own transaction; returns those that must wait for a later pass.

    `fresh`: the issues were just read from the tracker (see issue_apply). `via`:
    how they came (a webhook delivery, a poll), recorded with each value applied.
    """
    config = connection_config(connection)
    waiting = []
    for issue in issues:
        try:
            if not issue_apply(connection=connection, config=config, issue=issue, fresh=fresh, via=via):
                waiting.append(issue)
        except Exception:
            # One bad issue must not stop the others; it is tried again next pass.
            log.exception("applying %s from %s failed", issue.twin.key, connection.name)
            waiting.append(issue)
    return waiting


def connection_poll(*, connection: Connection) -> int:
    """Pull what changed since the cursor and apply it; returns the number of issues seen.

    Tracker errors are recorded on the connection (and pause it when permanent);
    they are not raised. The cursor never moves past an issue that had to wait.
    """
    if not connection.is_active:
        return 0
    try:
        connector = connector_for(connection)
        result = connector.pull(connection.poll_cursor)
    except ConnectorError as exc:
        message = redact(exc.message, connection.token)
        (connection_pause if exc.permanent else connection_failed)(connection=connection, error=message)
        return 0
    waiting = issues_apply(connection=connection, issues=result.issues, fresh=True)
    cursor = result.cursor
    if waiting:
        cursor = min([cursor, *(i.updated_at for i in waiting if i.updated_at)])
    Connection.objects.filter(pk=connection.pk).update(poll_cursor=cursor, last_poll_at=timezone.now())
    connection.poll_cursor = cursor
    connection_succeeded(connection=connection)
    if connector.edits_comments_silently:
        notes_sweep(connection=connection, connector=connector, seen={i.twin.external_id for i in result.issues})
    return len(result.issues)


def notes_sweep(*, connection: Connection, connector, seen: frozenset[str] | set[str] = frozenset()) -> int:
    """Read the next NOTES_SWEEP twins of `connection` again, in turn, and apply their comments.

    For a tracker that edits a comment without marking its issue updated (Redmine: the
    poll's "updated since" never sees the edit). Each poll takes up where the last one
    stopped (kept in the shared cache; lost, it starts again from the first twin), so
    an edit there arrives within (twins / NOTES_SWEEP) polls, or at once when the
    issue changes. Twins the poll has just read (`seen`) are not read twice. A twin
    the tracker no longer has is passed over; a tracker failing otherwise ends the
    sweep where it stands. Returns how many issues were read.
    """
    key = f"sync:notes-sweep:{connection.pk}"
    after = cache.get(key, 0)
    twins = ExternalIssue.objects.filter(connection=connection).order_by("pk").values_list(
        "pk", "external_id", "key", "url"
    )
    turn = list(twins.filter(pk__gt=after)[:NOTES_SWEEP])
    if len(turn) < NOTES_SWEEP and after:  # round again from the first twin
        turn += list(twins.filter(pk__lte=after)[: NOTES_SWEEP - len(turn)])
    issues = []
    for pk, external_id, twin_key, url in turn:
        if external_id not in seen:
            try:
                issues.append(connector.fetch(TwinRef(external_id=external_id, key=twin_key, url=url)))
            except ConnectorError as exc:
                if not exc.permanent:
                    break
        after = pk
    cache.set(key, after, None)
    issues_apply(connection=connection, issues=issues, fresh=True)
    return len(issues)
