"""Reads of tickets, shaped for lists: a fixed number of queries per page."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from defects.models import Defect, TicketDefectLink
from tickets.models import Customer, Ticket


def ticket_links_prefetch() -> Prefetch:
    return Prefetch(
        "defect_links",
        queryset=TicketDefectLink.objects.select_related(
            "defect", "defect__planned_release", "defect__fixed_in_release"
        ).order_by("-linked_at", "-id"),
    )


def ticket_rows(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Narrow a visible_tickets() queryset to what a ticket list page row shows.

    Number, subject, status, customer and product names: no descriptions, no
    other joins and no prefetch (current_defects() reads the rows' defects).
    """
    return (
        qs.select_related(None).select_related("customer", "product")
        .only("number", "subject", "status", "created_at", "customer__name", "product__name")
        .prefetch_related(None)
    )


def current_defects(ticket_ids) -> dict[int, Defect]:
    """Ticket id -> its current defect (Ticket.current_defect) with its key and status.

    One query for a page of tickets; a ticket never escalated is not in the dict.
    """
    links = (
        TicketDefectLink.objects.filter(ticket_id__in=list(ticket_ids))
        .select_related("defect").only("ticket_id", "defect__key", "defect__status")
        .order_by("ticket_id", "linked_at", "id")
    )
    # Ordered oldest first: the last link seen per ticket is its most recent.
    return {link.ticket_id: link.defect for link in links}


def ticket_list_queryset() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "customer", "product", "component", "version", "assignee"
    ).prefetch_related(ticket_links_prefetch())


def visible_tickets(user) -> QuerySet[Ticket]:
    """Agents and managers see every ticket; engineers see escalated ones only."""
    from handoff import roles

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
