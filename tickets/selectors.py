"""Reads of tickets, shaped for lists: a fixed number of queries per page."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from defects.models import TicketDefectLink
from tickets.models import Customer, Ticket


def ticket_links_prefetch() -> Prefetch:
    return Prefetch(
        "defect_links",
        queryset=TicketDefectLink.objects.select_related(
            "defect", "defect__planned_release", "defect__fixed_in_release"
        ).order_by("-linked_at", "-id"),
    )


# What a ticket list row shows, read as dicts for the page's rows alone
# (LargeTablePaginator's row_fields): no model instances, three per row, for a row
# that only prints these values.
ROW_FIELDS = ("pk", "number", "subject", "status", "customer__name", "product__name")


def ticket_rows(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Narrow a visible_tickets() queryset for a ticket list page: no joins, no prefetch.

    The count and the page's ids then read the ticket table alone; the page's
    rows are read with ROW_FIELDS, and current_defects() reads their defects.
    """
    return qs.select_related(None).prefetch_related(None)


def current_defects(ticket_ids, *more: str) -> dict[int, tuple]:
    """Ticket id -> (id, key, status, *more) of its current defect (Ticket.current_defect).

    `more` names further link lookups to read (e.g. "defect__planned_release__version").
    One query for a page of tickets; a ticket never escalated is not in the dict.
    """
    links = (
        TicketDefectLink.objects.filter(ticket_id__in=list(ticket_ids))
        .order_by("ticket_id", "linked_at", "id")
        .values_list("ticket_id", "defect_id", "defect__key", "defect__status", *more)
    )
    # Ordered oldest first: the last link seen per ticket is its most recent.
    return {ticket_id: tuple(defect) for ticket_id, *defect in links}


def ticket_list_queryset() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "customer", "product", "component", "version", "assignee"
    ).prefetch_related(ticket_links_prefetch())


def visible_tickets(user) -> QuerySet[Ticket]:
    """Agents and managers see every ticket; engineers see escalated ones only."""
    from core import roles

    qs = ticket_list_queryset()
    if roles.can_work_tickets(user):
        return qs
    if roles.is_engineer(user):
        return qs.filter(Exists(TicketDefectLink.objects.filter(ticket=OuterRef("pk"))))
    return qs.none()


def filter_tickets(
    qs: QuerySet[Ticket],
    *,
    status: str | None = None,
    customer=None,
    product=None,
    escalated: bool | None = None,
    search: str | None = None,
) -> QuerySet[Ticket]:
    if status:
        qs = qs.filter(status=status)
    if customer:
        qs = qs.filter(customer=customer)
    if product:
        qs = qs.filter(product=product)
    if escalated is not None:
        linked = Exists(TicketDefectLink.objects.filter(ticket=OuterRef("pk")))
        qs = qs.filter(linked) if escalated else qs.exclude(linked)
    if search:
        term = search.strip()
        # Each branch has an index, so PostgreSQL can OR three index scans instead of
        # reading every ticket: numbers are stored upper case ("HD-1234", unique index),
        # the subject has a trigram index on UPPER(subject) (tickets 0004), and the few
        # customers whose name matches are looked up first (one small query).
        customer_ids = list(Customer.objects.filter(name__icontains=term).values_list("pk", flat=True))
        qs = qs.filter(
            Q(number=term.upper()) | Q(subject__icontains=term) | Q(customer_id__in=customer_ids)
        )
    return qs
