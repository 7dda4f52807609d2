"""What the dashboard at / shows each role, read in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from defects.models import Defect, Team, TicketDefectLink
from defects.selectors import TRIAGE_ORDER
from defects.severity import Severity
from tickets.models import Ticket
from tickets.selectors import REQUEST_FIELDS, current_defects, request_badge, ticket_list

MAX_ROWS = 200
# Rows each board section lists; its heading counts them all (up to MAX_ROWS).
SECTION_ROWS = 20
S = Defect.Status
FIXED = {S.FIXED, S.RELEASED}


@dataclass
class BoardSection:
    """Tickets of one board section, most recently updated first; the page lists the first few."""

    tickets: list = field(default_factory=list)

    @property
    def shown(self) -> list:
        return self.tickets[:SECTION_ROWS]

    @property
    def more(self) -> int:
        return max(0, len(self.tickets) - SECTION_ROWS)


@dataclass
class AgentBoard:
    awaiting_engineering: BoardSection = field(default_factory=BoardSection)
    needs_info: BoardSection = field(default_factory=BoardSection)
    fixed: BoardSection = field(default_factory=BoardSection)
    # My open tickets waiting on product management, and those whose request moved lately.
    awaiting_product: BoardSection = field(default_factory=BoardSection)
    requests_changed: BoardSection = field(default_factory=BoardSection)


# A request "changed recently" for the agent's board: its status moved within these days.
RECENT_REQUEST_DAYS = 14


# What a board row shows of a ticket: plain values, no model instances (a board
# reads up to MAX_ROWS tickets to sort them into sections).
TICKET_FIELDS = ("id", "number", "subject", "status", "customer__name")
RELEASE_FIELDS = ("defect__planned_release__version", "defect__fixed_in_release__version")
OPEN_TICKET_STATUSES = [s for s in Ticket.Status.values if s not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)]


def agent_board(user) -> AgentBoard:
    """My open escalated tickets, by what engineering is doing with their defect. Two queries.

    Escalated means "has a link" (EXISTS), read through the assignee and status
    index, rather than a join made DISTINCT over whole rows.
    """
    tickets = list(
        ticket_list(user=user)
        .filter(assignee=user, status__in=OPEN_TICKET_STATUSES)
        .filter(Exists(TicketDefectLink.objects.filter(ticket=OuterRef("pk"))))
        .order_by("-updated_at", "-id")
        .values(*TICKET_FIELDS)[:MAX_ROWS]
    )
    current = current_defects((t["id"] for t in tickets), *RELEASE_FIELDS)
    board = AgentBoard()
    for ticket in tickets:
        _, key, status, planned, fixed = current[ticket["id"]]
        ticket["defect"] = {
            "key": key, "status": status, "status_label": S(status).label, "planned": planned, "fixed": fixed,
        }
        if status == S.NEEDS_INFO:
            board.needs_info.tickets.append(ticket)
        elif status in FIXED:
            board.fixed.tickets.append(ticket)
        elif ticket["status"] == Ticket.Status.AWAITING_ENGINEERING:
            board.awaiting_engineering.tickets.append(ticket)
    _request_sections(user, board)
    return board


def _request_sections(user, board: AgentBoard) -> None:
    """My open tickets that asked product management, each with its newest request (three queries).

    Read through the reverse relation of the enhancements app's links (the app
    above this one). A ticket that asked for two requests shows its newest, as the
    ticket list shows it (tickets.selectors.current_requests): the database keeps
    that link only, and orders the rows, so each is a ticket id and a request id.
    The two sections are two reads, each off its own index (my tickets by status;
    requests by when their status moved), rather than one read with an OR that no
    index serves. An agent may have hundreds of tickets waiting; the customer, the
    request's key and its releases are read for the few rows the page lists (_fill_shown).
    """
    since = timezone.now() - timedelta(days=RECENT_REQUEST_DAYS)
    # The link model through the relation's own field: no import of the app above.
    links = Ticket._meta.get_field("request_links").related_model.objects
    newest = links.filter(ticket=OuterRef("pk")).order_by("-linked_at", "-id").values("id")[:1]
    # Each read keeps the MAX_ROWS its section would show first, not any MAX_ROWS: an agent
    # may have more tickets waiting than a section counts. The link's conditions are in
    # one filter() so that they are about the same link (one join).
    mine = ticket_list(user=user).filter(assignee=user).order_by(
        F("request_links__request__status_changed_at").desc(nulls_last=True), "-updated_at", "-id",
    )
    waiting = mine.filter(status=Ticket.Status.AWAITING_PRODUCT, request_links__id=Subquery(newest))
    changed = mine.filter(
        status__in=OPEN_TICKET_STATUSES, request_links__id=Subquery(newest),
        request_links__request__status_changed_at__gte=since,
    )
    # One dict per ticket: a ticket in both sections is filled once for both.
    tickets: dict[int, dict] = {}
    for section, rows in ((board.awaiting_product, waiting), (board.requests_changed, changed)):
        for ticket_id, request_id in rows.values_list("id", "request_links__request_id")[:MAX_ROWS]:
            ticket = tickets.setdefault(ticket_id, {"id": ticket_id, "request": {"id": request_id}})
            section.tickets.append(ticket)
    _fill_shown([*board.awaiting_product.shown, *board.requests_changed.shown])


def _fill_shown(tickets: list[dict]) -> None:
    """What the board lists of each shown ticket and its request: one query for all of them."""
    wanted = {(ticket["id"], ticket["request"]["id"]): ticket for ticket in tickets}
    if not wanted:
        return
    found = Ticket.objects.filter(
        pk__any_of={ticket_id for ticket_id, _ in wanted},
        request_links__request_id__any_of={request_id for _, request_id in wanted},
    ).values_list(*TICKET_FIELDS, *REQUEST_FIELDS)
    for ticket_id, number, subject, _, customer, request_id, key, status, target, delivered in found:
        ticket = wanted.get((ticket_id, request_id))
        if ticket is None:
            continue  # another ticket's request among those read
        ticket.update(number=number, subject=subject, customer__name=customer)
        ticket["request"].update(key=key, status=status, label=request_badge(status, target, delivered))


def _by_severity() -> dict:
    """Counts per severity and in all. Counting `severity`, not `id`, lets PostgreSQL answer
    from the team, status and severity index alone (an index-only scan, no table rows read)."""
    counts = {sev: Count("severity", filter=Q(severity=sev)) for sev in Severity.values}
    return {**counts, "total": Count("severity")}


def severity_counts(qs) -> dict:
    """{"S1": n, ..., "total": n} counted by the database."""
    return qs.aggregate(**_by_severity())


def engineer_board(user, *, rows: int = 10) -> dict:
    """My teams' open defects: how many per severity, and the top of my queue."""
    # The team ids first, so both reads filter on team_id IN (...) and use the per-team indexes.
    team_ids = list(Team.objects.filter(members=user).values_list("id", flat=True))
    mine = Defect.objects.filter(team_id__in=team_ids, status__in=Defect.OPEN_STATUSES)
    top = mine.only("id", "key", "title", "severity", "status", "customer_count").order_by(*TRIAGE_ORDER)[:rows]
    return {"counts": severity_counts(mine), "top": list(top)}


def manager_request_board() -> list[dict]:
    """Open enhancement requests per product team (No product team last) and status, in one query.

    Read through the teams' reverse relation to the enhancements app (above this one).
    """
    statuses = ("new", "under_review", "planned", "in_development")
    counts = {status: Count("enhancement_requests", filter=Q(enhancement_requests__status=status))
              for status in statuses}
    rows = list(
        Team.objects.filter(kind=Team.Kind.PRODUCT).annotate(**counts).order_by("name")
        .values("id", "name", *statuses)
    )
    for row in rows:
        row["total"] = sum(row[status] for status in statuses)
    return [row for row in rows if row["total"]]


def manager_board() -> list[dict]:
    """Open defects per team (Unrouted last) and severity, aggregated in the database.

    Counted per team and severity (no join): the status, team and severity index answers
    it alone, and one plain count per group costs the database a third of a filtered
    count per severity over every open defect. The few team names are read apart.
    """
    counted = (
        Defect.objects.filter(status__in=Defect.OPEN_STATUSES)
        .values_list("team_id", "severity").annotate(n=Count("severity")).order_by()
    )
    by_team: dict = {}
    for team_id, severity, n in counted:
        row = by_team.setdefault(team_id, {"team_id": team_id, **dict.fromkeys(Severity.values, 0), "total": 0})
        row[severity] = n
        row["total"] += n
    rows = list(by_team.values())
    names = dict(Team.objects.filter(pk__in=[r["team_id"] for r in rows if r["team_id"]]).values_list("id", "name"))
    named = sorted(
        (dict(r, team__name=names[r["team_id"]]) for r in rows if r["team_id"] in names),
        key=lambda r: r["team__name"],
    )
    unrouted = [dict(r, team__name="Unrouted") for r in rows if r["team_id"] is None]
    return named + unrouted
