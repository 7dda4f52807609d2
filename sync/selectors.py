"""Reads of the sync app that pages and forms offer."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from sync.models import Connection, ExternalIssue, InboundEvent, OutboxItem, SyncConflict


def connection_list(*, active: bool | None = None) -> QuerySet[Connection]:
    """Connections by name; `active=True`: only those enabled and not paused."""
    qs = Connection.objects.order_by("name")
    if active:
        qs = qs.filter(enabled=True, paused=False)
    return qs


def defect_sync_sources(*, defect_id: int) -> tuple[list[ExternalIssue], list[SyncConflict]]:
    """A defect's twins (with their connection and field sources) and its recorded conflicts: three queries."""
    twins = list(
        ExternalIssue.objects.filter(defect_id=defect_id).select_related("connection")
        .prefetch_related("field_sources").order_by("connection__name", "id")
    )
    conflicts = list(SyncConflict.objects.filter(defect_id=defect_id).select_related("connection")[:100])
    return twins, conflicts


@dataclass(frozen=True)
class RequestSync:
    """An enhancement request's place in its trackers, as its page shows it."""

    twins: list[ExternalIssue]
    conflicts: list[SyncConflict]
    # Changes still to reach a tracker, and those that failed: with their last error.
    waiting: list[OutboxItem]
    failed: list[OutboxItem]
    # Active connections the request has no twin in (nor a create on its way): where it may be sent.
    sendable: list[Connection]

    @property
    def in_a_tracker(self) -> bool:
        """Whether the request has an issue in some tracker, or one is on its way there."""
        return bool(self.twins) or any(row.kind == OutboxItem.Kind.CREATE for row in self.waiting)


def request_sync_state(*, request_id: int) -> RequestSync:
    """Twins (with field sources), conflicts, unfinished and failed changes, and where the request may
    still be sent: five queries, whatever the number of rows."""
    twins = list(
        ExternalIssue.objects.filter(request_id=request_id).select_related("connection")
        .prefetch_related("field_sources").order_by("connection__name", "id")
    )
    conflicts = list(SyncConflict.objects.filter(request_id=request_id).select_related("connection")[:20])
    rows = list(
        OutboxItem.objects.filter(request_id=request_id)
        .exclude(status=OutboxItem.Status.DONE).select_related("connection").order_by("id")[:50]
    )
    busy = {twin.connection_id for twin in twins} | {
        row.connection_id for row in rows if row.kind == OutboxItem.Kind.CREATE
        and row.status != OutboxItem.Status.FAILED
    }
    sendable = [c for c in connection_list(active=True) if c.pk not in busy]
    return RequestSync(
        twins=twins, conflicts=conflicts,
        waiting=[row for row in rows if row.status != OutboxItem.Status.FAILED],
        failed=[row for row in rows if row.status == OutboxItem.Status.FAILED],
        sendable=sendable,
    )


def connection_health_list() -> QuerySet[Connection]:
    """Connections by name, each with its count of pending and of failed outbox rows (the sync page)."""
    return Connection.objects.annotate(
        pending=Count("outbox_items", filter=Q(outbox_items__status=OutboxItem.Status.PENDING)),
        failed=Count("outbox_items", filter=Q(outbox_items__status=OutboxItem.Status.FAILED)),
    ).order_by("name")


def connection_get(*, pk: int, enabled: bool | None = None) -> Connection:
    """The connection (Http404 when there is none, or when `enabled` is given and it differs)."""
    filters = {} if enabled is None else {"enabled": enabled}
    return get_object_or_404(Connection, pk=pk, **filters)


def connection_trouble(*, connection: Connection) -> dict:
    """What a connection's page lists beside its health: its failed changes (newest first), the
    changes waiting after an error (oldest first) and its deliveries that failed."""
    items = OutboxItem.objects.filter(connection=connection).select_related("defect", "request")
    return {
        "failed": items.filter(status=OutboxItem.Status.FAILED).order_by("-id")[:50],
        "waiting": items.filter(status=OutboxItem.Status.PENDING).exclude(last_error="").order_by("id")[:20],
        "bad_deliveries": InboundEvent.objects.filter(connection=connection, status=InboundEvent.Status.FAILED)[:20],
    }


def outbox_item_get(*, pk: int) -> OutboxItem:
    """An outbox row (Http404 when there is none)."""
    return get_object_or_404(OutboxItem, pk=pk)
