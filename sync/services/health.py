"""A connection's state as people see it: last success, last error, paused or not,
and the actions on it (resume, retry a failed row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from core.audit import audit_changes, audit_record
from core.models import Channel
from sync.models import Connection, OutboxItem
from sync.outbox import dispatch_drain

Status = OutboxItem.Status


def connection_pause(*, connection: Connection, error: str) -> None:
    """The tracker refuses us for good (401/403/404): stop pushing until a person resumes."""
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(paused=True, last_error=error[:2000], last_error_at=now)
    connection.paused, connection.last_error, connection.last_error_at = True, error, now
    audit_record(obj=connection, actor=None, channel=Channel.SYSTEM, action="paused", new=error[:200])


def connection_failed(*, connection: Connection, error: str) -> None:
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(last_error=error[:2000], last_error_at=now)
    connection.last_error, connection.last_error_at = error, now


# "Last success" is shown to the minute; a backlog pushed at dozens of rows a second need
# not write the connection's row for each of them.
SUCCESS_NOTED_EVERY = timedelta(seconds=5)


def connection_succeeded(*, connection: Connection) -> None:
    now = timezone.now()
    noted = connection.last_success_at
    failed = connection.last_error_at
    if noted and now - noted < SUCCESS_NOTED_EVERY and (failed is None or failed < noted):
        return
    Connection.objects.filter(pk=connection.pk).update(last_success_at=now)
    connection.last_success_at = now


@transaction.atomic
def connection_resume(*, connection: Connection, actor, channel: str) -> Connection:
    """Unpause, and make every waiting row due now."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if connection.paused:
        connection.paused = False
        connection.save(update_fields=["paused"])
        audit_changes(obj=connection, actor=actor, channel=channel, changes={"paused": (True, False)})
    OutboxItem.objects.filter(connection=connection, status=Status.PENDING).update(next_attempt_at=timezone.now())
    _push_soon(connection.pk)
    return connection


@transaction.atomic
def outbox_retry(*, item: OutboxItem, actor, channel: str) -> OutboxItem:
    """Try a failed row again now (the retry button)."""
    item = OutboxItem.objects.select_for_update().get(pk=item.pk)
    if item.status == Status.FAILED:
        item.status = Status.PENDING
        item.next_attempt_at = timezone.now()
        item.attempts = 0
        item.save(update_fields=["status", "next_attempt_at", "attempts"])
        audit_record(obj=item.connection, actor=actor, channel=channel, action="retried", new=f"outbox row {item.pk}")
        _push_soon(item.connection_id)
    return item


def _push_soon(connection_id: int) -> None:
    transaction.on_commit(lambda: dispatch_drain(connection_id))


@dataclass(frozen=True)
class Health:
    connection: Connection
    pending: int
    claimed: int
    failed: int
    done: int
    oldest_pending_at: datetime | None
    last_done_at: datetime | None


def connection_health(connection: Connection) -> Health:
    """Backlog counts for one connection, in one query."""
    counts = OutboxItem.objects.filter(connection=connection).aggregate(
        pending=Count("id", filter=Q(status=Status.PENDING)),
        claimed=Count("id", filter=Q(status=Status.CLAIMED)),
        failed=Count("id", filter=Q(status=Status.FAILED)),
        done=Count("id", filter=Q(status=Status.DONE)),
        last_done_at=Max("done_at"),
    )
    oldest = (
        OutboxItem.objects.filter(connection=connection, status=Status.PENDING)
        .order_by("created_at").values_list("created_at", flat=True).first()
    )
    return Health(
        connection=connection, pending=counts["pending"], claimed=counts["claimed"], failed=counts["failed"],
        done=counts["done"], oldest_pending_at=oldest, last_done_at=counts["last_done_at"],
    )
