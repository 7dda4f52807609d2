"""The enhancement requests a release delivers, the customers who asked, and whom to tell.

The requests and the tickets that asked are read as plain values (`Asked`,
kept between requests like the fixes' links); the contacts and their notices
are read each time, so that an email goes to the address the contact has now.
A fixed number of queries whatever the number of requests, tickets and
contacts; a release that delivers no request costs one query.
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

from releases.models import Release, ReleaseNotice
from releases.selectors import release_delivered_requests, release_request_links
from releases.services.report.rows import DeliveredRequest, RequestContact
from tickets.models import Contact, ProductVersion, Ticket

# What the report, its CSV, its API and the emails read of a ticket that asked, in the model's field
# order (Model.from_db takes its values in that order).
_TICKET_FIELDS = [
    f.attname for f in Ticket._meta.concrete_fields
    if f.attname in {"id", "number", "subject", "status", "customer_id", "contact_id", "version_id"}
]


@dataclass
class Asked:
    """The requests a release delivers and the tickets that asked for them, as plain values.

    Plain so that they are kept cheaply between requests (releases.services.report.
    fixes_and_links keeps them with the fixes' links).
    """

    # (id, key, title) of each request, by key.
    requests: list[tuple[int, str, str]]
    # (request id, customer id, customer name, version name, *the ticket's _TICKET_FIELDS), by ticket number.
    links: list[tuple]

    @classmethod
    def read(cls, release: Release) -> "Asked":
        requests = list(release_delivered_requests(release).values_list("pk", "key", "title"))
        if not requests:
            return cls([], [])
        links = release_request_links([pk for pk, _, _ in requests]).order_by("ticket__number").values_list(
            "request_id", "customer_id", "customer__name", "ticket__version__name",
            *[f"ticket__{name}" for name in _TICKET_FIELDS],
        )
        return cls(requests, list(links))


def _tickets(links: list[tuple]) -> dict[int, Ticket]:
    """ticket id -> the ticket, built from the kept values with its version's name (no query)."""
    versions: dict[int, ProductVersion] = {}
    tickets: dict[int, Ticket] = {}
    version_at = _TICKET_FIELDS.index("version_id")
    for _, _, _, version_name, *values in links:
        if values[0] in tickets:
            continue
        ticket = tickets[values[0]] = Ticket.from_db(DEFAULT_DB_ALIAS, _TICKET_FIELDS, values)
        version_id = values[version_at]
        if version_id is not None:
            if version_id not in versions:
                versions[version_id] = ProductVersion(id=version_id, name=version_name)
            ticket.version = versions[version_id]
    return tickets


def delivered_requests(
    asked: Asked, release: Release, *, customer_id: int | None = None, any_notice: bool = True
) -> tuple[list[DeliveredRequest], list[RequestContact]]:
    """The requests `release` delivers (`asked`: Asked.read), each with the customers and tickets
    asking, and the contacts to tell.

    Narrowed to `customer_id`, only the requests that customer asked for, with
    only its tickets. As for fixes, a ticket's own contact hears of it; a
    ticket naming nobody goes to every contact of its customer.
    """
    found = {pk: DeliveredRequest(pk=pk, key=key, title=title) for pk, key, title in asked.requests}
    if not found:
        return [], []
    links = [link for link in asked.links if customer_id is None or link[1] == customer_id]
    ticket_of = _tickets(links)
    for request_id, link_customer, customer_name, _, ticket_id, *_ in links:
        request = found[request_id]
        request.tickets.append(ticket_of[ticket_id])
        if (link_customer, customer_name) not in request.customers:
            request.customers.append((link_customer, customer_name))
    for request in found.values():
        request.customers.sort(key=lambda c: (c[1].lower(), c[0]))
    requests = [r for r in found.values() if customer_id is None or r.tickets]
    tickets = [ticket for request in requests for ticket in request.tickets]
    if not tickets:
        return requests, []
    named = {t.contact_id for t in tickets if t.contact_id}
    unnamed = {t.customer_id for t in tickets if not t.contact_id}
    everyone: dict[int, list[Contact]] = {}
    by_id: dict[int, Contact] = {}
    for contact in Contact.objects.filter(Q(pk__in=named) | Q(customer_id__in=unnamed)).order_by("name", "pk"):
        by_id[contact.pk] = contact
        everyone.setdefault(contact.customer_id, []).append(contact)
    recipients: dict[int, RequestContact] = {}
    # (contact, request) pairs already listed: by id, since comparing the rows compares every ticket in them.
    listed: set[tuple[int, int]] = set()
    for request in requests:
        for ticket in request.tickets:
            for contact in [by_id[ticket.contact_id]] if ticket.contact_id else everyone.get(ticket.customer_id, []):
                recipient = recipients.setdefault(contact.pk, RequestContact(contact=contact))
                if (contact.pk, request.pk) not in listed:
                    listed.add((contact.pk, request.pk))
                    recipient.requests.append(request)
                recipient.tickets.append(ticket)
    contacts = sorted(recipients.values(), key=lambda r: (r.contact.name.lower(), r.contact.pk))
    if any_notice:
        notices = ReleaseNotice.objects.filter(
            release=release, kind=ReleaseNotice.Kind.REQUEST, contact_id__in=list(recipients)
        )
        for notice in notices:
            recipients[notice.contact_id].notice = notice
    return requests, contacts
