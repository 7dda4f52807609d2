"""Reads of tickets, shaped for lists: a fixed number of queries per page."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core import roles
from core.ids import id_from_text
from core.reference import kept
from core.sorting import DESCENDING, Sorting, SortKey
from defects.models import Attachment, Defect, TicketDefectLink
from defects.selectors import ticket_thread_list
from sync.models import ExternalIssue
from tickets.models import Component, Contact, Customer, Product, ProductVersion, Ticket


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
ROW_FIELDS = (
    "pk", "number", "subject", "status", "customer__name", "customer__tier", "product__name", "updated_at",
)

# How the ticket list (page and API) may be sorted: `?sort=updated`, `?sort=-updated`.
# Each key ends with the id and has an index of its own (the Ticket model's Meta),
# so a sorted page reads its ids off an index, forwards or backwards.
TICKET_SORTS = Sorting(
    {
        # Opened: the ticket number's order, newest first by default (the ticket_recent index).
        "created": SortKey(("created_at", "id"), first=DESCENDING),
        "subject": SortKey(("subject", "id")),
        "status": SortKey(("status", "id")),
        # Last updated: the longest waiting first on a first click.
        "updated": SortKey(("updated_at", "id")),
    },
    default="-created",
)

# The statuses in which the customer waits on the help desk: a ticket in one of them
# that has not been updated for longer than its customer's tier allows is "waiting".
# Awaiting customer waits on the customer; resolved and closed tickets wait on nobody.
WAITING_STATUSES = (
    Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.AWAITING_ENGINEERING, Ticket.Status.AWAITING_PRODUCT,
)


def waiting_limits() -> dict[str, timedelta]:
    """Customer tier -> how long its open tickets may go without an update (settings.HANDOFF_WAITING_HOURS)."""
    hours = settings.HANDOFF_WAITING_HOURS
    return {tier: timedelta(hours=hours[tier]) for tier in Customer.Tier.values if tier in hours}


def current_defects(ticket_ids, *more: str) -> dict[int, tuple]:
    """Ticket id -> (id, key, status, *more) of its current defect (Ticket.current_defect).

    `more` names further link lookups to read (e.g. "defect__planned_release__version").
    One query for a page of tickets; a ticket never escalated is not in the dict.
    """
    links = (
        TicketDefectLink.objects.filter(ticket_id__any_of=ticket_ids)
        .order_by("ticket_id", "linked_at", "id")
        .values_list("ticket_id", "defect_id", "defect__key", "defect__status", *more)
    )
    # Ordered oldest first: the last link seen per ticket is its most recent.
    return {ticket_id: tuple(defect) for ticket_id, *defect in links}


def current_defect_id() -> Subquery:
    """A ticket's current defect's id (its newest link, as Ticket.current_defect), for `annotate`.

    Read off the link_ticket_recent index, which holds the defect: one index probe a ticket.
    """
    newest = TicketDefectLink.objects.filter(ticket=OuterRef("pk")).order_by("-linked_at", "-id")
    return Subquery(newest.values("defect_id")[:1])


# A ticket's newest enhancement request, read through the reverse relation of the
# enhancements app's links (that app sits above this one: no import of it).
REQUEST_FIELDS = (
    "request_links__request_id", "request_links__request__key", "request_links__request__status",
    "request_links__request__target_release__version", "request_links__request__delivered_release__version",
)


@lru_cache(maxsize=1)
def _request_status_labels() -> dict[str, str]:
    request_model = Ticket._meta.get_field("request_links").related_model._meta.get_field("request").related_model
    return dict(request_model.Status.choices)


def request_badge(status: str, target: str | None, delivered: str | None) -> str:
    """A request's status as a short badge: "Planned for 2.6.0", "Delivered in 2.6.0", "Under review"."""
    if status in ("planned", "in_development") and target:
        return f"{_request_status_labels()[status]} for {target}"
    if status == "delivered" and delivered:
        return f"Delivered in {delivered}"
    return _request_status_labels().get(status, status)


def current_requests(ticket_ids) -> dict[int, dict]:
    """Ticket id -> {"id", "key", "status", "label"} of its newest enhancement request, in one query.

    A ticket that never asked for one is not in the dict.
    """
    rows = (
        Ticket.objects.filter(pk__any_of=ticket_ids, request_links__isnull=False)
        .order_by("pk", "request_links__linked_at", "request_links__id")
        .values_list("pk", *REQUEST_FIELDS)
    )
    # Ordered oldest first: the last link seen per ticket is its newest.
    return {
        pk: {"id": request_id, "key": key, "status": status, "label": request_badge(status, target, delivered)}
        for pk, request_id, key, status, target, delivered in rows
    }


@lru_cache(maxsize=1)
def _row_links_sql() -> str:
    """current_links' one statement, named from the models' own tables and columns."""
    link = TicketDefectLink._meta
    request_link = Ticket._meta.get_field("request_links").related_model._meta
    request = request_link.get_field("request").related_model._meta
    release = request.get_field("target_release").related_model._meta

    def column(meta, name: str) -> str:
        return f'"{meta.get_field(name).column}"'

    def newest(meta, target: str, alias: str) -> str:
        return (
            f'LEFT JOIN LATERAL (SELECT {column(meta, target)} AS id FROM "{meta.db_table}" '
            f'WHERE {column(meta, "ticket")} = t.id '
            f'ORDER BY {column(meta, "linked_at")} DESC, "id" DESC LIMIT 1) {alias} ON true'
        )

    defect = link.get_field("defect").related_model._meta
    return " ".join([
        f'SELECT t.id, d."id", d.{column(defect, "key")}, d.{column(defect, "status")},',
        f'r."id", r.{column(request, "key")}, r.{column(request, "status")},',
        f'target.{column(release, "version")}, delivered.{column(release, "version")}',
        "FROM unnest(%s::bigint[]) AS t(id)",
        newest(link, "defect", "current_defect"),
        f'LEFT JOIN "{defect.db_table}" d ON d."id" = current_defect.id',
        newest(request_link, "request", "current_request"),
        f'LEFT JOIN "{request.db_table}" r ON r."id" = current_request.id',
        f'LEFT JOIN "{release.db_table}" target ON target."id" = r.{column(request, "target_release")}',
        f'LEFT JOIN "{release.db_table}" delivered ON delivered."id" = r.{column(request, "delivered_release")}',
    ])


def current_links(ticket_ids: list[int]) -> tuple[dict[int, tuple], dict[int, dict]]:
    """current_defects(ticket_ids) and current_requests(ticket_ids), read together.

    On PostgreSQL one statement, written once from the models' tables: the ticket
    list's rows read both, and as two ORM queries Django's building and reading of
    them cost three times what the database does (3.7 ms against 0.9 for 50 rows).
    """
    if not ticket_ids:
        return {}, {}
    connection = connections[Ticket.objects.db]
    if connection.vendor != "postgresql":
        return current_defects(ticket_ids), current_requests(ticket_ids)
    defects, requests = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(_row_links_sql(), [list(ticket_ids)])
        for pk, defect_id, key, status, request_id, request_key, request_status, target, delivered in cursor:
            if defect_id is not None:
                defects[pk] = (defect_id, key, status)
            if request_id is not None:
                requests[pk] = {
                    "id": request_id, "key": request_key, "status": request_status,
                    "label": request_badge(request_status, target, delivered),
                }
    return defects, requests


def ticket_list(*, user) -> QuerySet[Ticket]:
    """The tickets `user` may see, with no joins: agents and managers every ticket, engineers escalated ones.

    Callers add what they show: visible_tickets() the list relations, a list page
    nothing (its rows are read with ROW_FIELDS, their defects by current_defects()).
    """
    qs = Ticket.objects.all()
    if roles.can_work_tickets(user):
        return qs
    if roles.is_engineer(user):
        return qs.filter(Exists(TicketDefectLink.objects.filter(ticket=OuterRef("pk"))))
    return qs.none()


def visible_tickets(user) -> QuerySet[Ticket]:
    """ticket_list() with each ticket's customer, product, component, version, assignee and links."""
    return ticket_list(user=user).select_related(
        "customer", "product", "component", "version", "assignee"
    ).prefetch_related(ticket_links_prefetch())


def filter_tickets(
    qs: QuerySet[Ticket],
    *,
    status: str | None = None,
    customer=None,
    product=None,
    escalated: bool | None = None,
    search: str | None = None,
    assignee=None,
    unassigned: bool = False,
    waiting: bool = False,
) -> QuerySet[Ticket]:
    """The tickets of `qs` that match every filter given.

    `assignee`: a user's tickets ("My tickets"); `unassigned`: tickets nobody is
    assigned to; `waiting`: open tickets not updated for longer than their customer's
    tier allows (waiting_limits).
    """
    if status:
        qs = qs.filter(status=status)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    elif unassigned:
        qs = qs.filter(assignee__isnull=True)
    if waiting:
        now = timezone.now()
        overdue = Q()
        for tier, limit in waiting_limits().items():
            overdue |= Q(customer__tier=tier, updated_at__lt=now - limit)
        qs = qs.filter(overdue, status__in=WAITING_STATUSES)
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


def fact_names() -> dict:
    """The names the ticket page's facts show, each read through a join of its table.

    As plain annotations (F), not model instances: Django builds this query's SQL
    in a third of the time six scalar subqueries took (0.8 against 1.9 ms with the
    row). Planning the seven-table join costs PostgreSQL about 1.5 ms, paid only
    on a connection's first few runs: the statement is then prepared and its plan
    kept (DATABASE_PREPARED_STATEMENTS, docs/deployment.md).
    """
    username = get_user_model().USERNAME_FIELD
    return {
        "customer_name": F("customer__name"),
        "contact_name": F("contact__name"),
        "product_name": F("product__name"),
        "component_name": F("component__name"),
        "version_name": F("version__name"),
        "assignee_name": F(f"assignee__{username}"),
    }


@dataclass
class TicketPage:
    """What the ticket page shows besides the ticket's own columns."""

    ticket: Ticket
    links: list  # (link, its defect's twins in trackers), newest first
    attachments: list  # (attachment, the defect it was sent with or None)
    open_defect: Defect | None
    can_escalate: bool
    thread: list
    request_links: list  # its enhancement requests' links, newest first


# What the ticket page shows of its links and their defects (and the next step, the
# engineering feedback and the dual status read of the current one): a defect's long
# texts are left unread.
PAGE_LINK_FIELDS = (
    "ticket_id", "defect_id", "linked_at",
    "defect__key", "defect__title", "defect__severity", "defect__severity_reason", "defect__status",
    "defect__status_reason", "defect__team__name",
    "defect__planned_release__version", "defect__planned_release__planned_date",
    "defect__fixed_in_release__version", "defect__fixed_in_release__status",
    "defect__fixed_in_release__released_at",
)
# What it shows of its enhancement requests: the newest one's status as the help desk
# tells it, and whether any is still open.
PAGE_REQUEST_LINK_FIELDS = (
    "ticket_id", "request_id", "linked_at", "request__key", "request__status", "request__decline_reason",
    "request__target_release__version", "request__delivered_release__version", "request__duplicate_of__key",
)


def ticket_page_get(*, user, pk: int, facts: dict | None = None) -> TicketPage:
    """The ticket `user` may see (Http404 otherwise) and what its page shows of its links, files and thread.

    `facts` adds annotations to the ticket's own read (an app above this one names
    what it shows of the ticket, such as the contact's standing in the portal).
    """
    ticket = get_object_or_404(ticket_list(user=user).annotate(**fact_names(), **(facts or {})), pk=pk)
    # The links, newest first (where ticket.current_defect reads them), then their
    # defects' twins in external trackers: two queries.
    prefetch_related_objects([ticket], Prefetch(
        "defect_links",
        queryset=TicketDefectLink.objects.select_related(
            "defect", "defect__team", "defect__planned_release", "defect__fixed_in_release"
        ).only(*PAGE_LINK_FIELDS).order_by("-linked_at", "-id"),
        to_attr=Ticket.LINKS_ATTR,
    ))
    links = ticket.linked()
    defect_ids = [link.defect_id for link in links]
    twins: dict[int, list] = {}
    if links:
        issues = ExternalIssue.objects.filter(defect_id__any_of=defect_ids)
        for defect_id, key, url in issues.values_list("defect_id", "key", "url"):
            twins.setdefault(defect_id, []).append({"key": key, "url": url})
    open_defect = next((link.defect for link in links if link.defect.is_open), None)
    # The ticket's own files, then those sent to engineering with its defects: one query.
    files = list(
        Attachment.objects.filter(Q(ticket=ticket) | Q(defect_id__any_of=defect_ids))
        # content_type: an image is previewed (Attachment.is_previewable).
        .only("ticket_id", "defect_id", "name", "size", "content_type")
    )
    attachments = [(a, None) for a in files if a.ticket_id == ticket.pk] + [
        (a, link.defect) for link in links for a in files if a.defect_id == link.defect_id
    ]
    return TicketPage(
        ticket=ticket,
        links=[(link, twins.get(link.defect_id, ())) for link in links],
        attachments=attachments,
        open_defect=open_defect,
        can_escalate=roles.can_work_tickets(user) and ticket.is_open and open_defect is None,
        thread=ticket_thread_list(ticket=ticket, user=user, defect_ids=defect_ids),
        # Through the reverse relation of the enhancements app's links (that app sits above this one).
        request_links=list(ticket.request_links.select_related(
            "request__target_release", "request__delivered_release", "request__duplicate_of"
        ).only(*PAGE_REQUEST_LINK_FIELDS)),
    )


def customer_lookup(*, text: str) -> list[Customer]:
    """The customers `text` names, for a filter typed by hand (only pk and name read).

    Digits are an id first; otherwise the name in any case (its exact case
    preferred), or else the customers whose name contains the text. One customer
    when the text names one; none, or two of the several it matches, otherwise.
    """
    customers = Customer.objects.only("pk", "name")
    found = customers.filter(pk=typed_id).first() if (typed_id := id_from_text(text)) is not None else None
    if found is None:
        named = list(customers.filter(name__iexact=text)[:2])
        exact = [c for c in named if c.name == text]
        found = (exact or named or [None])[0]
    if found is not None:
        return [found]
    return list(customers.filter(name__icontains=text)[:2])


def assignable_users() -> tuple[tuple[int, str], ...]:
    """(id, username) of the active agents and managers, by username: who a ticket may be assigned to.

    Kept in the process until a user or a role changes (core.reference, watched in core/apps.py).
    """
    return kept("assignable-users", _assignable_users)


def _assignable_users() -> tuple[tuple[int, str], ...]:
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    workers = Group.objects.filter(name__in=[roles.AGENTS, roles.MANAGERS])
    return tuple(
        user_model.objects.filter(Q(groups__in=workers) | Q(is_superuser=True), is_active=True)
        .distinct().order_by(field).values_list("pk", field)
    )


def customer_named(text: str | None) -> Customer | None:
    """The one customer `text` names (an id or a name, as customer_lookup reads it), or None."""
    text = (text or "").strip()
    found = customer_lookup(text=text) if text else []
    return found[0] if len(found) == 1 else None


def customer_contacts(*, customer: Customer | None) -> list[tuple[int, str]]:
    """(id, label) of a customer's contacts, in the model's order: whom a new ticket may name.

    A help desk has thousands of contacts; the new-ticket form offers the chosen customer's only.
    """
    if customer is None:
        return []
    return [(contact.pk, str(contact)) for contact in Contact.objects.filter(customer=customer)]


def product_part_choices(model: type[Component] | type[ProductVersion]) -> list[tuple[int, str, int]]:
    """(id, "Product / name", product id) of every component or version, in the model's order:
    read as values, since a help desk has hundreds of versions."""
    return [
        (pk, f"{product} / {name}", product_id)
        for pk, product, name, product_id in model.objects.values_list("pk", "product__name", "name", "product_id")
    ]


def product_list() -> QuerySet[Product]:
    """Every product, in the model's order: what the ticket forms offer."""
    return Product.objects.all()


def product_choices() -> tuple[tuple[int, str], ...]:
    """(id, name) of every product, in the model's order: what the filters show.

    Kept in the process until a product changes (core.reference, watched in tickets/apps.py).
    """
    return kept("product-choices", lambda: tuple(Product.objects.values_list("pk", "name")))


@dataclass
class TicketFormChoices:
    """What the new-ticket form checks against (querysets, read when checked), and how it finds what it offers."""

    contacts: QuerySet[Contact]
    products: QuerySet[Product]
    components: QuerySet[Component]
    versions: QuerySet[ProductVersion]
    # text -> the customers it names; the chosen customer -> its contacts; a model -> its (id, label, product id).
    find_customers: Callable[..., list[Customer]] = customer_lookup
    contacts_of: Callable[..., list[tuple[int, str]]] = customer_contacts
    parts_of: Callable[..., list[tuple[int, str, int]]] = product_part_choices


def ticket_form_choices() -> TicketFormChoices:
    return TicketFormChoices(
        contacts=Contact.objects.all(), products=Product.objects.all(), components=Component.objects.all(),
        versions=ProductVersion.objects.all(),
    )


def product_parts(*, product_id: int) -> tuple[QuerySet[ProductVersion], QuerySet[Component]]:
    """A product's versions and components (the escalation form offers only the ticket's product's)."""
    return ProductVersion.objects.filter(product=product_id), Component.objects.filter(product=product_id)
