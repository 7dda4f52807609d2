"""The `planned_fix_slipped` flag on tickets: a planned release shipped without their fix.

The help desk must never repeat a stale estimate, so shipping flags the tickets
and tells their agents; a new plan or the fix itself clears the flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.urls import reverse

from core.audit import audit_changes
from core.models import Notification
from core.notifications import notify
from defects.models import Defect, TicketDefectLink
from tickets.models import Ticket

if TYPE_CHECKING:
    from releases.models import Release


def _linked_open_tickets(defects: Iterable[Defect]) -> list[Ticket]:
    ids = TicketDefectLink.objects.filter(defect__in=list(defects)).values("ticket_id")
    return list(
        Ticket.objects.filter(pk__in=ids)
        .exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
        .order_by("pk")
    )


def _set_flag(tickets: list[Ticket], value: bool, *, actor, channel: str, reason: str) -> list[Ticket]:
    changed = [t for t in tickets if t.planned_fix_slipped != value]
    if not changed:
        return []
    Ticket.objects.filter(pk__in=[t.pk for t in changed]).update(planned_fix_slipped=value)
    for ticket in changed:
        audit_changes(
            obj=ticket, actor=actor, channel=channel,
            changes={"planned_fix_slipped": (not value, value)}, reason=reason,
        )
        ticket.planned_fix_slipped = value
    return changed


def tickets_flag_slipped(
    *, defect: Defect, release: Release, new_plan: Release | None, actor, channel: str
) -> list[Ticket]:
    """Flag the open tickets of `defect`, whose fix missed `release`, and tell their agents.

    Returns the tickets flagged. Callers hold the transaction.
    """
    later = f"now planned for {new_plan.version} (an estimate)" if new_plan else "no new estimate yet"
    reason = f"{defect.key} did not ship in {release.product} {release.version}; {later}."
    tickets = _set_flag(_linked_open_tickets([defect]), True, actor=actor, channel=channel, reason=reason)
    for ticket in tickets:
        if ticket.assignee_id is None:
            continue
        notify(
            users=[ticket.assignee],
            kind=Notification.Kind.PLANNED_RELEASE,
            message=f"{ticket.number}: {reason} Do not repeat the old estimate to the customer.",
            url=reverse("tickets:detail", args=[ticket.pk]),
            actor=actor,
        )
    return tickets


def tickets_clear_slip(*, defect: Defect, actor, channel: str, reason: str = "") -> list[Ticket]:
    """Clear the flag on the tickets of `defect` after a new plan or the fix. Callers hold the transaction."""
    tickets = list(
        Ticket.objects.filter(defect_links__defect=defect, planned_fix_slipped=True).order_by("pk")
    )
    return _set_flag(
        tickets, False, actor=actor, channel=channel,
        reason=reason or f"{defect.key} has a new plan or a fix.",
    )
