"""Pushing the outbox: claim a row, send it, record the outcome.

Rows of one defect (or enhancement request) go out in id order: a row is
claimed only when no earlier row of the same subject and connection is
pending or being pushed. Claims use
SELECT ... FOR UPDATE SKIP LOCKED where the database has it, and a conditional
UPDATE everywhere, so two workers never push the same row at once. A worker
that dies leaves its row claimed; the relay hands it out again once the claim
is older than HANDOFF_SYNC_CLAIM_TIMEOUT, and pushes are idempotent, so the
second try neither loses nor duplicates anything.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from core.plans import plan_for_values, planned_for_values
from core.redact import redact
from sync.config import connection_config
from sync.connectors import connector_for
from sync.connectors.base import ConnectorError, OutboundChange, RejectedChange, TwinRef, UnreachableStatus
from sync.models import Connection, ExternalIssue, OutboxItem, SyncConflict, SyncLedger
from sync.services import settings as sync_settings
from sync.services.conflicts import SUPERSEDED, record_conflict, resolve_push_conflict
from sync.services.health import connection_failed, connection_pause, connection_succeeded
from sync.services.provenance import ledger_record_pushed
from sync.services.translate import FIELD_OF_KIND, build_change, normalize_text

log = logging.getLogger(__name__)

Status = OutboxItem.Status
Kind = OutboxItem.Kind
OPEN = (Status.PENDING, Status.CLAIMED)


def _earlier_open_rows(subject: str):
    """Rows of the same `subject` column ("defect" or "request") before this one, still to go.

    A row names one subject, so for the other column the outer value is NULL
    and the subquery finds nothing: each row waits only behind its own subject's.
    """
    return OutboxItem.objects.filter(
        **{subject: OuterRef(subject)}, connection=OuterRef("connection"), id__lt=OuterRef("id"), status__in=OPEN
    )


def _heads(rows):
    """Only the rows that head their subject's queue."""
    return rows.exclude(Exists(_earlier_open_rows("defect"))).exclude(Exists(_earlier_open_rows("request")))


# How many of the oldest due rows a claim weighs first, then how many more. In a backlog the
# subjects' rows interleave, so the oldest due row heads its queue unless an earlier row of its
# subject is being pushed (at most one per worker): the first few rows hold a head, and a claim
# need not weigh every waiting row against its queue, which grows with the backlog.
CLAIM_WINDOWS = (64, 1024)


def _due(connection_id: int | None, now):
    due = OutboxItem.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now, connection__enabled=True, connection__paused=False
    )
    return due if connection_id is None else due.filter(connection_id=connection_id)


def _claimable(connection_id: int | None, now):
    """Due rows that head their defect's (or request's) queue, on active connections, oldest first."""
    return _heads(_due(connection_id, now)).order_by("id")


def _claimable_by_window(connection_id: int | None, now):
    """_claimable, looked for among the first due rows first (CLAIM_WINDOWS), then among all of them.

    A window is the first rows as stored, not sorted by id: sorting asks PostgreSQL to read
    every due row first whenever its statistics lag a burst of new rows, which they do for
    the first minute of one. Stored order is nearly id order (rows are appended), and the
    heads found are taken oldest first; only the order of different subjects' rows is loose.
    """
    for size in CLAIM_WINDOWS:
        first = _due(connection_id, now).order_by().values("id")[:size]
        yield _heads(OutboxItem.objects.filter(id__in=first)).order_by("id")
    yield _claimable(connection_id, now)


def _lock_first_claimable(connection_id: int | None, now) -> OutboxItem | None:
    """Lock the oldest claimable row no other worker holds (inside the caller's transaction)."""
    plan_for_values()  # a burst outruns the statistics: core/plans.py
    for rows in _claimable_by_window(connection_id, now):
        row = rows.select_for_update(skip_locked=True, of=("self",)).only("id").first()
        if row is not None:
            return row
    return None


def outbox_claim_next(*, connection_id: int | None = None) -> OutboxItem | None:
    """Claim the oldest due row that heads its defect's queue, or None when nothing is due."""
    now = timezone.now()
    for _ in range(10):
        with transaction.atomic():
            row = _lock_first_claimable(connection_id, now)
            if row is None:
                return None
            claimed = _heads(OutboxItem.objects.filter(pk=row.pk, status=Status.PENDING)).update(
                status=Status.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
            )
        if claimed:
            return OutboxItem.objects.select_related("connection", "defect", "request").get(pk=row.pk)
    return None


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff from HANDOFF_SYNC_BACKOFF_SECONDS, capped, never sooner than Retry-After."""
    delay = min(sync_settings.backoff_max(), sync_settings.backoff_base() * (2 ** max(attempts - 1, 0)))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def _retry_later(item: OutboxItem, message: str, retry_after: float | None) -> None:
    delay = backoff_seconds(item.attempts, retry_after)
    OutboxItem.objects.filter(pk=item.pk).update(
        status=Status.PENDING, claimed_at=None, last_error=message[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )


def _fail(item: OutboxItem, message: str) -> None:
    OutboxItem.objects.filter(pk=item.pk).update(status=Status.FAILED, claimed_at=None, last_error=message[:2000])


def _done(item: OutboxItem, note: str = "") -> None:
    OutboxItem.objects.filter(pk=item.pk).update(
        status=Status.DONE, claimed_at=None, done_at=timezone.now(), note=note[:200], last_error=""
    )


def subject_of(item: OutboxItem) -> dict:
    """The row's subject as a filter: {"defect": ...} or {"request": ...}."""
    return {"request": item.request} if item.request_id else {"defect": item.defect}


def _thread(item: OutboxItem) -> str:
    return SyncLedger.Thread.REQUEST if item.request_id else SyncLedger.Thread.DEFECT


def _record_fields(item: OutboxItem, change: OutboundChange, ref: TwinRef) -> None:
    """The twin (made on a create) and the field values it now holds, as the tracker will echo them."""
    subject = subject_of(item)
    twin = ExternalIssue.objects.select_for_update().filter(connection=item.connection, **subject).first()
    if twin is None:
        twin = ExternalIssue.objects.create(
            connection=item.connection, **subject,
            external_id=ref.external_id, key=ref.key, url=ref.url,
        )
    snapshot = dict(twin.synced)
    for name in ("status", "priority", "version", "title"):
        if name in change.fields:
            snapshot[name] = change.fields[name]
    if "description" in change.fields:
        # As the tracker will report it back (without the footer), so the echo is known.
        snapshot["description"] = normalize_text(change.fields["description"])
    twin.synced = snapshot
    twin.save(update_fields=["synced"])
    ledger_record_pushed(twin=twin, fields=change.fields)


@transaction.atomic
def _record_success(item: OutboxItem, change: OutboundChange, ref: TwinRef, comment_ref: str = "") -> None:
    if item.kind == Kind.CREATE or change.fields:
        _record_fields(item, change, ref)
    if item.kind == Kind.COMMENT and change.source_id is not None:
        ledger, _ = SyncLedger.objects.get_or_create(
            connection=item.connection, direction=SyncLedger.Direction.OUTBOUND, thread=_thread(item),
            comment_id=change.source_id, defaults={"external_id": comment_ref[:100]},
        )
        if comment_ref and ledger.external_id != comment_ref[:100]:
            ledger.external_id = comment_ref[:100]
            ledger.save(update_fields=["external_id"])
    if item.kind == Kind.COMMENT_DELETE and change.source_id is not None:
        SyncLedger.objects.filter(
            connection=item.connection, direction=SyncLedger.Direction.OUTBOUND, thread=_thread(item),
            comment_id=change.source_id,
        ).update(deleted_at=timezone.now())
    _done(item)


def outbox_push(*, item: OutboxItem) -> str:
    """Send one claimed row; returns its new status. Never raises for tracker trouble."""
    connection: Connection = item.connection
    token = connection.token
    try:
        config = connection_config(connection)
    except ValidationError as exc:
        connection_pause(connection=connection, error=f"Bad connection settings: {'; '.join(exc.messages)}")
        _retry_later(item, "The connection's settings are invalid.", None)
        return Status.PENDING
    twin = ExternalIssue.objects.filter(connection=connection, **subject_of(item)).first()
    if item.kind != Kind.CREATE and twin is None:
        _fail(item, f"The {item.subject_kind} has no issue in the tracker: its creation did not go through.")
        return Status.FAILED
    try:
        change = build_change(item, twin, config)
        if change is None:
            _done(item, note="Nothing left to send.")
            return Status.DONE
        connector = connector_for(connection)
        field = FIELD_OF_KIND.get(item.kind)
        if field and twin is not None:
            current = connector.fetch(TwinRef(twin.external_id, twin.key, twin.url))
            if resolve_push_conflict(item=item, twin=twin, field=field, current=current, change=change, config=config):
                _done(item, note=SUPERSEDED)
                return Status.DONE
        ref = connector.push(change)
    except RejectedChange as exc:
        if isinstance(exc, UnreachableStatus) and twin is not None:
            record_conflict(
                twin=twin, field="status", portal_value=exc.target, tracker_value=exc.reached,
                winner=SyncConflict.Winner.PORTAL,
                note=f"{connection.name} could not reach {exc.target}: {redact(exc.message, token)}",
            )
        _fail(item, redact(exc.message, token))
        connection_failed(connection=connection, error=redact(exc.message, token))
        return Status.FAILED
    except ConnectorError as exc:
        message = redact(exc.message, token)
        if exc.permanent:
            connection_pause(connection=connection, error=message)
            # The row is fine; it waits for the connection to be resumed.
            OutboxItem.objects.filter(pk=item.pk).update(
                status=Status.PENDING, claimed_at=None, last_error=message[:2000], attempts=F("attempts") - 1
            )
            return Status.PENDING
        _retry_later(item, message, exc.retry_after)
        connection_failed(connection=connection, error=message)
        return Status.PENDING
    except SoftTimeLimitExceeded:
        # The task is out of time: hand the row back now rather than leave it
        # claimed until the relay notices, then let the task end.
        OutboxItem.objects.filter(pk=item.pk).update(status=Status.PENDING, claimed_at=None)
        raise
    except Exception as exc:  # a bug or an unexpected reply: keep the row, retry later, say what broke
        log.exception("sync push of outbox row %s failed", item.pk)
        message = redact(f"{type(exc).__name__}: {exc}", token)
        _retry_later(item, message, None)
        connection_failed(connection=connection, error=message)
        return Status.PENDING
    _record_success(item, change, ref, getattr(connector, "posted_comment_id", ""))
    connection_succeeded(connection=connection)
    return Status.DONE


def outbox_drain(*, connection_id: int | None = None, limit: int = 1000, budget_seconds: float | None = None) -> int:
    """Claim and push due rows until none is due, `limit` rows were tried, or the time budget is spent.

    Returns how many rows were tried. A caller with a budget checks
    `has_due_rows` afterwards to know whether to continue in a fresh task.
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    tried = 0
    while tried < limit and (deadline is None or time.monotonic() < deadline):
        item = outbox_claim_next(connection_id=connection_id)
        if item is None:
            break
        outbox_push(item=item)
        tried += 1
    return tried


def has_due_rows(connection_id: int) -> bool:
    """Whether a row could be claimed right now (not merely pending behind one that backs off)."""
    now = timezone.now()
    with planned_for_values():
        return any(rows.exists() for rows in _claimable_by_window(connection_id, now))


def outbox_release_stale() -> int:
    """Hand out again rows claimed by a worker that went silent; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=sync_settings.claim_timeout())
    return OutboxItem.objects.filter(status=Status.CLAIMED, claimed_at__lt=cutoff).update(
        status=Status.PENDING, claimed_at=None, next_attempt_at=timezone.now(),
        last_error="The worker stopped during the push; trying again.",
    )


def connections_with_due_rows() -> list[int]:
    return list(
        OutboxItem.objects.filter(
            status=Status.PENDING, next_attempt_at__lte=timezone.now(),
            connection__enabled=True, connection__paused=False,
        ).values_list("connection_id", flat=True).distinct()
    )
