"""What the portal reads: who is signed in, the tickets a contact may see, and each page's rows.

Every read of a ticket goes through `portal_tickets(identity)`: the contact's
customer's tickets, or only the contact's own where the customer says so. A
ticket outside it answers 404 on every page, download and API call.

What a contact is never shown is never read here: internal notes, engineering's
comments (shared or not), defects' keys, titles and severities (with their
reasons), and other customers' names or tickets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404
from django.utils import timezone

from defects.models import Attachment, Comment, Defect
from enhancements.models import TicketRequestLink
from portal.models import Installation, PortalAccount, PortalSession, PortalToken
from portal.status import ENGINEERING_ACTIVE, PlainStatus, TicketFacts, plain_status
from releases.models import Release
from tickets.models import Customer, Product, ProductVersion, Ticket
from tickets.selectors import current_defects


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PortalIdentity:
    """A signed-in contact, as every portal page and endpoint sees them."""

    account_id: int
    contact_id: int
    contact_name: str
    email: str
    customer_id: int
    customer_name: str
    scope: str
    session_id: int | None = None
    token_id: int | None = None

    @property
    def own_only(self) -> bool:
        return self.scope != Customer.PortalScope.ORGANISATION


_IDENTITY_FIELDS = {
    "account_id": "account_id",
    "contact_id": "account__contact_id",
    "contact_name": "account__contact__name",
    "email": "account__contact__email",
    "customer_id": "account__contact__customer_id",
    "customer_name": "account__contact__customer__name",
    "scope": "account__contact__customer__portal_scope",
}


def _usable(qs: QuerySet) -> QuerySet:
    """Only what an active account of a customer that uses the portal holds."""
    return qs.filter(account__is_active=True, account__contact__customer__portal_enabled=True)


def identity_for_session(key: str) -> PortalIdentity | None:
    """The contact a portal session cookie signs in, or None (unknown, expired, account or portal off). One query."""
    if not key or len(key) > 100:
        return None
    row = (
        _usable(PortalSession.objects.filter(key_hash=digest(key), expires_at__gt=timezone.now()))
        .values("pk", *_IDENTITY_FIELDS.values())
        .first()
    )
    if row is None:
        return None
    return PortalIdentity(session_id=row["pk"], **{name: row[path] for name, path in _IDENTITY_FIELDS.items()})


def token_for_key(key: str) -> tuple[PortalToken | None, PortalIdentity | None]:
    """(the token, the contact it signs in) for a portal API key; (None, None) when unknown or revoked.

    The caller refuses an expired token (it names why) and a token whose account or portal is off
    (no identity).
    """
    if not key or len(key) > 100:
        return None, None
    token = PortalToken.objects.filter(key_hash=digest(key), revoked_at__isnull=True).first()
    if token is None:
        return None, None
    row = _usable(PortalToken.objects.filter(pk=token.pk)).values(*_IDENTITY_FIELDS.values()).first()
    if row is None:
        return token, None
    return token, PortalIdentity(token_id=token.pk, **{name: row[path] for name, path in _IDENTITY_FIELDS.items()})


def portal_tickets(identity: PortalIdentity) -> QuerySet[Ticket]:
    """The tickets `identity` may see: their customer's, or only their own (the customer's setting)."""
    qs = Ticket.objects.filter(customer_id=identity.customer_id)
    if identity.own_only:
        qs = qs.filter(contact_id=identity.contact_id)
    return qs


# ---------------------------------------------------------------- plain statuses

_DEFECT_FACTS = (
    "defect__planned_release__version", "defect__fixed_in_release__version", "defect__fixed_in_release__status",
)


def ticket_facts(tickets: list[tuple[int, str, bool]]) -> dict[int, TicketFacts]:
    """(id, status, planned_fix_slipped) per ticket -> what its plain status is read from.

    Two queries whatever the number of tickets: their current defects with those
    defects' releases, and their newest enhancement requests.
    """
    ids = [pk for pk, _, _ in tickets]
    if not ids:
        return {}
    defects = current_defects(ids, *_DEFECT_FACTS)
    requests: dict[int, tuple] = {}
    links = (
        TicketRequestLink.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "linked_at", "id")
        .values_list(
            "ticket_id", "request__status", "request__target_release__version",
            "request__delivered_release__version",
        )
    )
    for ticket_id, *request in links:  # oldest first: the last one seen is the newest
        requests[ticket_id] = tuple(request)
    facts = {}
    for pk, status, slipped in tickets:
        values: dict = {"status": status, "planned_fix_slipped": slipped}
        if (defect := defects.get(pk)) is not None:
            _, _, defect_status, planned, fixed, fixed_status = defect
            values.update(defect_status=defect_status, planned=planned, fixed_in=fixed, fixed_in_status=fixed_status)
        if (request := requests.get(pk)) is not None:
            request_status, target, delivered = request
            values.update(request_status=request_status, request_target=target, request_delivered=delivered)
        facts[pk] = TicketFacts(**values)
    return facts


def plain_statuses(tickets: list[tuple[int, str, bool]]) -> dict[int, PlainStatus]:
    """Ticket id -> the status its customer reads (portal.status.plain_status). Two queries."""
    return {pk: plain_status(facts) for pk, facts in ticket_facts(tickets).items()}


def plain_statuses_of(ticket_ids) -> dict[int, PlainStatus]:
    """plain_statuses for tickets named by id. Three queries."""
    rows = Ticket.objects.filter(pk__in=list(ticket_ids)).values_list("pk", "status", "planned_fix_slipped")
    return plain_statuses(list(rows))


# ---------------------------------------------------------------- the ticket list

LIST_FIELDS = ("pk", "number", "subject", "status", "planned_fix_slipped", "product__name", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class TicketRow:
    pk: int
    number: str
    subject: str
    product: str
    created_at: datetime
    updated_at: datetime
    status: PlainStatus


def ticket_rows(rows: list[dict]) -> list[TicketRow]:
    """A page of portal_tickets() read as dicts of LIST_FIELDS -> the rows the list shows. Two queries."""
    statuses = plain_statuses([(r["pk"], r["status"], r["planned_fix_slipped"]) for r in rows])
    return [
        TicketRow(
            pk=r["pk"], number=r["number"], subject=r["subject"], product=r["product__name"],
            created_at=r["created_at"], updated_at=r["updated_at"], status=statuses[r["pk"]],
        )
        for r in rows
    ]


def portal_ticket_list(identity: PortalIdentity, *, open_only: bool = False) -> QuerySet[Ticket]:
    """The contact's tickets, newest first, with no join: what a page counts and takes its ids from
    (core.paginator.LargeTablePaginator then reads LIST_FIELDS for the page's ids alone)."""
    qs = portal_tickets(identity)
    if open_only:
        qs = qs.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
    return qs.order_by("-created_at", "-id")


def ticket_rows_of(ids: list[int]) -> list[TicketRow]:
    """The list's rows for these ticket ids, in their order. Three queries."""
    found = {row["pk"]: row for row in Ticket.objects.filter(pk__in=ids).values(*LIST_FIELDS)}
    return ticket_rows([found[pk] for pk in ids if pk in found])


# ---------------------------------------------------------------- one ticket


@dataclass(frozen=True, slots=True)
class PortalFile:
    pk: int
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class PortalComment:
    pk: int
    author: str
    from_customer: bool
    mine: bool
    body: str
    created_at: datetime
    files: tuple[PortalFile, ...] = ()


@dataclass(frozen=True, slots=True)
class ReleaseFact:
    version: str
    released: bool
    date: object  # the release's planned date, or the day it shipped


@dataclass
class PortalTicketPage:
    ticket: Ticket
    status: PlainStatus
    raised_by: str
    planned: ReleaseFact | None
    fixed: ReleaseFact | None
    comments: list[PortalComment]
    files: list[PortalFile] = field(default_factory=list)


TICKET_FIELDS = (
    "number", "subject", "description", "environment", "status", "planned_fix_slipped", "created_at",
    "updated_at", "customer_id", "contact_id", "product__name", "version__name", "contact__name",
)


def portal_ticket(identity: PortalIdentity, pk) -> Ticket:
    """The ticket `identity` may see (Http404 otherwise), with what the portal shows of it and no more."""
    return get_object_or_404(
        portal_tickets(identity).select_related("product", "version", "contact").only(*TICKET_FIELDS), pk=pk
    )


# A reply from a contact who has since been deleted: still the customer's, by someone no longer named.
FORMER_CONTACT = "A former contact"


def _author(comment: Comment, identity: PortalIdentity) -> str:
    if comment.author_contact_id:
        return "You" if comment.author_contact_id == identity.contact_id else comment.author_contact.name
    if comment.from_customer:
        return FORMER_CONTACT
    user = comment.author
    name = user.first_name if user is not None else ""
    return f"{name} (support)" if name else "Support"


def portal_thread(ticket: Ticket, identity: PortalIdentity) -> tuple[list[PortalComment], list[PortalFile]]:
    """The conversation a customer sees: replies to the customer and the customer's own, oldest first,
    each with the files sent with it; and the files sent with the ticket itself. Two queries.

    Nothing else of the thread: no internal note, no comment shared with engineering,
    nothing of the defect's thread. Files are the customer's own uploads.
    """
    comments = list(
        Comment.objects.filter(ticket=ticket, visibility=Comment.Visibility.CUSTOMER, deleted_at__isnull=True)
        .select_related("author", "author_contact")
        .only("body", "created_at", "from_customer", "author_contact_id", "author__first_name", "author_contact__name")
        .order_by("created_at", "id")
    )
    files: dict[int | None, list[PortalFile]] = {}
    for pk, name, size, comment_id in customer_files(ticket).values_list("pk", "name", "size", "comment_id"):
        files.setdefault(comment_id, []).append(PortalFile(pk, name, size))
    shown = [
        PortalComment(
            pk=c.pk, author=_author(c, identity), from_customer=c.from_customer,
            mine=c.author_contact_id == identity.contact_id, body=c.body, created_at=c.created_at,
            files=tuple(files.pop(c.pk, ())),
        )
        for c in comments
    ]
    # Files of a reply that was since deleted go with the ticket's own.
    loose = [f for group in files.values() for f in group]
    return shown, loose


def customer_files(ticket: Ticket) -> QuerySet[Attachment]:
    """The files of `ticket` its customer may download: those its contacts sent through the portal."""
    return Attachment.objects.filter(ticket=ticket, from_customer=True).order_by("uploaded_at", "id")


def _release_facts(ticket: Ticket) -> tuple[ReleaseFact | None, ReleaseFact | None]:
    """The current defect's planned and fixed-in releases, as a customer reads them. One query."""
    link = (
        ticket.defect_links.select_related("defect__planned_release", "defect__fixed_in_release")
        .only(
            "ticket", "defect__status", "defect__planned_release__version", "defect__planned_release__status",
            "defect__planned_release__planned_date", "defect__fixed_in_release__version",
            "defect__fixed_in_release__status", "defect__fixed_in_release__released_at",
            "defect__fixed_in_release__planned_date",
        )
        .order_by("-linked_at", "-id")
        .first()
    )
    if link is None:
        return None, None
    defect = link.defect
    if defect.status not in ENGINEERING_ACTIVE and defect.status != Defect.Status.RELEASED:
        return None, None  # closed without a fix: no release to name
    planned = fixed = None
    release = defect.planned_release
    if release is not None and release.status == Release.Status.PLANNED and not ticket.planned_fix_slipped:
        planned = ReleaseFact(release.version, False, release.planned_date)
    release = defect.fixed_in_release
    if release is not None:
        if release.is_released:
            fixed = ReleaseFact(release.version, True, release.released_at)
        else:
            planned = ReleaseFact(release.version, False, release.planned_date)
    return planned, fixed


def portal_ticket_page(identity: PortalIdentity, pk) -> PortalTicketPage:
    """Everything the portal's ticket page shows (Http404 for a ticket the contact may not see)."""
    ticket = portal_ticket(identity, pk)
    status = plain_statuses([(ticket.pk, ticket.status, ticket.planned_fix_slipped)])[ticket.pk]
    planned, fixed = _release_facts(ticket)
    comments, files = portal_thread(ticket, identity)
    return PortalTicketPage(
        ticket=ticket, status=status, raised_by=ticket.contact.name if ticket.contact_id else "",
        planned=planned, fixed=fixed, comments=comments, files=files,
    )


def portal_file(identity: PortalIdentity, ticket_pk, file_pk) -> Attachment:
    """A file the contact may download (Http404 otherwise): a customer upload on a ticket they may see."""
    ticket = portal_ticket(identity, ticket_pk)
    return get_object_or_404(customer_files(ticket), pk=file_pk)


# ---------------------------------------------------------------- choices and installations


def product_choices() -> QuerySet[Product]:
    return Product.objects.only("pk", "name").order_by("name")


def version_choices() -> QuerySet[ProductVersion]:
    """Every product's versions, newest first per product (shipping a release adds its version).

    Each carries `choice_label` ("Billing 2.4"), which the version choice reads as
    plain pairs instead of a model instance per option (portal.forms._VersionField).
    """
    return (
        ProductVersion.objects.select_related("product").only("pk", "name", "product__name")
        .annotate(choice_label=Concat("product__name", Value(" "), "name"))
        .order_by("product__name", "-sort_key")
    )


def customer_installations(customer_id: int) -> list[Installation]:
    """The customer's installations with their products and versions. One query."""
    return list(
        Installation.objects.filter(customer_id=customer_id)
        .select_related("product", "version")
        .order_by("product__name", "environment", "id")
    )


def installation_get(customer_id: int, pk) -> Installation:
    return get_object_or_404(Installation.objects.select_related("product", "version"), customer_id=customer_id, pk=pk)


# ---------------------------------------------------------------- staff side


@dataclass(frozen=True, slots=True)
class ContactPortal:
    """What the staff ticket page says of a contact and the portal."""

    contact_id: int
    enabled: bool  # the contact's customer uses the portal
    invited: bool
    active: bool  # signed in at least once


# The contact's standing in the portal, read with the ticket (tickets.selectors.ticket_page_get's
# `facts`): a query of its own cost the staff ticket page 0.7 ms, most of it Django building it.
CONTACT_PORTAL_FACTS = {
    "portal_enabled": F("contact__customer__portal_enabled"),
    "portal_invited_at": F("contact__portal_account__invited_at"),
    "portal_activated_at": F("contact__portal_account__activated_at"),
}


def contact_portal(ticket) -> ContactPortal | None:
    """The ticket's contact's standing in the portal, for the staff ticket page's invite button.

    Read from the ticket as ticket_page_get annotated it with CONTACT_PORTAL_FACTS.
    """
    if ticket.contact_id is None:
        return None
    return ContactPortal(
        contact_id=ticket.contact_id, enabled=bool(ticket.portal_enabled),
        invited=ticket.portal_invited_at is not None, active=ticket.portal_activated_at is not None,
    )


def customer_of(identity: PortalIdentity) -> Customer:
    return Customer.objects.get(pk=identity.customer_id)


def account_of(identity: PortalIdentity) -> PortalAccount:
    return PortalAccount.objects.get(pk=identity.account_id)


def account_tokens(identity: PortalIdentity) -> QuerySet[PortalToken]:
    return PortalToken.objects.filter(account_id=identity.account_id, revoked_at__isnull=True).order_by("-created_at")
