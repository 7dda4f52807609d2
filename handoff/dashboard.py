"""What the dashboard at / shows each role, read in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from defects.models import Defect, Team
from defects.severity import Severity
from tickets.models import Ticket
from tickets.selectors import visible_tickets

MAX_ROWS = 200
S = Defect.Status
FIXED = {S.FIXED, S.RELEASED}


@dataclass
class AgentBoard:
    awaiting_engineering: list = field(default_factory=list)
    needs_info: list = field(default_factory=list)
    fixed: list = field(default_factory=list)


def agent_board(user) -> AgentBoard:
    """My open escalated tickets, by what engineering is doing with their defect. Two queries."""
    tickets = (
        visible_tickets(user)
        .filter(assignee=user, defect_links__isnull=False)
        .exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
        .distinct()
        .order_by("-updated_at", "-id")[:MAX_ROWS]
    )
    board = AgentBoard()
    for ticket in tickets:
        defect = ticket.current_defect
        if defect.status == S.NEEDS_INFO:
            board.needs_info.append(ticket)
        elif defect.status in FIXED:
            board.fixed.append(ticket)
        elif ticket.status == Ticket.Status.AWAITING_ENGINEERING:
            board.awaiting_engineering.append(ticket)
    return board


def severity_counts(qs) -> dict:
    """{"S1": n, ..., "total": n} counted by the database."""
    counts = {sev: Count("id", filter=Q(severity=sev)) for sev in Severity.values}
    return qs.aggregate(**counts, total=Count("id"))


def engineer_board(user, *, rows: int = 10) -> dict:
    """My teams' open defects: how many per severity, and the top of my queue."""
    from defects.views_queue import queue_queryset

    mine = Defect.objects.filter(team__in=Team.objects.filter(members=user), status__in=Defect.OPEN_STATUSES)
    top = queue_queryset().filter(pk__in=mine.values("pk"))[:rows]
    return {"counts": severity_counts(mine), "top": list(top)}


def manager_board() -> list[dict]:
    """Open defects per team (Unrouted last) and severity, aggregated in the database."""
    counts = {sev: Count("id", filter=Q(severity=sev)) for sev in Severity.values}
    rows = (
        Defect.objects.filter(status__in=Defect.OPEN_STATUSES)
        .values("team_id", "team__name")
        .annotate(**counts, total=Count("id"))
        .order_by("team__name")
    )
    named = [r for r in rows if r["team_id"] is not None]
    unrouted = [dict(r, team__name="Unrouted") for r in rows if r["team_id"] is None]
    return named + unrouted
