"""When a field changed on both sides between two syncs, one rule per field decides.

    status   the tracker wins  (engineers move work in their tracker)
    version  the tracker wins  (release planning happens where the work is)
    priority the portal wins   (severity is grounded in customer impact, which
                                only the help desk sees)
    title    the portal wins   (the title is what the help desk reported)
    description  the portal wins (the report's summary and sections, likewise)

Each conflict is recorded as a SyncConflict and shown on the defect (or the
enhancement request: only its status is synced back, and the tracker wins).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sync.config import ConnectionConfig
from sync.connectors.base import OutboundChange, TrackerIssue
from sync.models import ExternalIssue, OutboxItem, SyncConflict
from sync.services.apply import NotApplied, apply_to_twin

Winner = SyncConflict.Winner
# The note of a portal change the tracker's won over: it is never sent.
SUPERSEDED = "Superseded: the tracker's change won."
RULES: dict[str, str] = {
    "status": Winner.TRACKER,
    "version": Winner.TRACKER,
    "priority": Winner.PORTAL,
    "title": Winner.PORTAL,
    "description": Winner.PORTAL,
}


def supersede(rows) -> int:
    """Close waiting outbox rows (a queryset) the tracker's value won over: they are never sent."""
    return rows.update(status=OutboxItem.Status.DONE, done_at=timezone.now(), note=SUPERSEDED)


def record_conflict(
    *, twin: ExternalIssue, field: str, portal_value, tracker_value, winner: str, note: str = ""
) -> SyncConflict:
    return SyncConflict.objects.create(
        defect_id=twin.defect_id, request_id=twin.request_id, connection_id=twin.connection_id, field=field,
        portal_value=str(portal_value or "")[:200], tracker_value=str(tracker_value or "")[:200],
        winner=winner, note=note[:300],
    )


@transaction.atomic
def resolve_push_conflict(
    *, item: OutboxItem, twin: ExternalIssue, field: str, current: TrackerIssue,
    change: OutboundChange, config: ConnectionConfig,
) -> bool:
    """Before overwriting a field, check the tracker did not change it since the last sync.

    Returns True when the tracker's value won: the caller must not push, and the
    tracker's value has been applied to the portal. False: push as planned.

    When the tracker wins, the later changes of the same field still waiting to be
    sent go too: they were made in the portal before the tracker's value replaced
    them there, and sending one would leave the tracker with a value the portal no
    longer holds. A change made after the tracker's value was applied is sent.
    """
    fields = current.fields_for(twin.subject_kind)
    tracker_value = fields.get(field)
    ours = change.fields.get(field)
    if field not in fields or tracker_value == twin.synced.get(field) or tracker_value == ours:
        return False
    winner = RULES.get(field, Winner.PORTAL)
    note, later = "", []
    if winner == Winner.TRACKER:
        later = list(
            OutboxItem.objects.filter(
                connection_id=item.connection_id, defect_id=item.defect_id, request_id=item.request_id,
                kind=item.kind, status=OutboxItem.Status.PENDING, pk__gt=item.pk,
            ).values_list("pk", flat=True)
        )
        try:
            apply_to_twin(twin=twin, connection=item.connection, config=config, field=field,
                          tracker_value=tracker_value)
        except NotApplied as exc:
            winner, note = Winner.PORTAL, f"The tracker's value could not be applied: {exc}"
    record_conflict(twin=twin, field=field, portal_value=ours, tracker_value=tracker_value, winner=winner, note=note)
    if winner == Winner.TRACKER:
        supersede(OutboxItem.objects.filter(pk__in=later, status=OutboxItem.Status.PENDING))
        twin.synced = {**twin.synced, field: tracker_value}
        twin.save(update_fields=["synced"])
        return True
    return False
